// The local index, the pure part: patterns and filters as the search route's query
// parameters, the search stream's lines, the index's age and state in words, and the
// client's index routes (search streamed over HTTP, read whole over the desktop's IPC).
import { describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import {
  DAY_SECS,
  describeFilters,
  daysToSecs,
  filtersQuery,
  indexAge,
  indexStateLabel,
  isGlob,
  isUsable,
  laterDate,
  noFilters,
  parseSearchLine,
  searchParams,
  toBytes,
} from './bucket-index';
import { ApiError } from './errors';
import type { JsonRequest, Transport } from './transport';
import type { ObjectSummary } from './types';

const NOW = Date.parse('2024-05-10T12:00:00Z');
const ago = (secs: number) => new Date(NOW - secs * 1000).toISOString();

describe('search query parameters', () => {
  it('always sends q, and the rest only when set, as whole numbers', () => {
    expect(searchParams({ q: '' })).toEqual({ q: '' });
    expect(searchParams({ q: '**/*.jpg', prefix: '', larger: null, smaller: undefined, storageClass: '' })).toEqual({
      q: '**/*.jpg',
    });
    expect(
      searchParams({
        q: '2024',
        prefix: 'photos/',
        larger: 1024,
        smaller: 1.6,
        newer: 7 * DAY_SECS,
        older: 0,
        storageClass: 'GLACIER',
        limit: 1000,
      }),
    ).toEqual({
      q: '2024',
      prefix: 'photos/',
      larger: '1024',
      smaller: '2',
      newer: '604800',
      older: '0',
      class: 'GLACIER',
      limit: '1000',
    });
  });

  it('leaves out negative and non-finite numbers', () => {
    expect(searchParams({ q: 'a', larger: -1, smaller: Number.NaN, newer: Infinity, limit: 0 })).toEqual({ q: 'a' });
  });

  it('makes sizes with units and days into bytes and seconds', () => {
    expect(toBytes(1.5, 'KiB')).toBe(1536);
    expect(toBytes('2', 'MiB')).toBe(2 * 1024 * 1024);
    expect(toBytes(0, 'GiB')).toBe(0);
    expect(toBytes(null, 'MiB')).toBeNull();
    expect(toBytes('', 'MiB')).toBeNull();
    expect(toBytes('abc', 'B')).toBeNull();
    expect(toBytes(-3, 'B')).toBeNull();
    expect(daysToSecs(1)).toBe(86_400);
    expect(daysToSecs('0.5')).toBe(43_200);
    expect(daysToSecs(null)).toBeNull();
  });

  it('turns the filter row into the query, and into words', () => {
    const f = { ...noFilters, larger: 1, largerUnit: 'MiB' as const, smaller: 10, smallerUnit: 'GiB' as const, withinDays: 7, storageClass: ' STANDARD_IA ' };
    expect(filtersQuery(f)).toEqual({
      larger: 1024 * 1024,
      smaller: 10 * 1024 ** 3,
      newer: 7 * DAY_SECS,
      older: null,
      storageClass: 'STANDARD_IA',
    });
    expect(searchParams({ q: 'x', ...filtersQuery(f) })).toEqual({
      q: 'x',
      larger: '1048576',
      smaller: '10737418240',
      newer: '604800',
      class: 'STANDARD_IA',
    });
    expect(describeFilters(f)).toEqual([
      'larger than 1 MiB',
      'smaller than 10 GiB',
      'modified within 7 days',
      'storage class STANDARD_IA',
    ]);
    expect(describeFilters({ ...noFilters, beforeDays: 1 })).toEqual(['modified more than 1 day ago']);
    expect(describeFilters(noFilters)).toEqual([]);
    expect(filtersQuery(noFilters)).toEqual({ larger: null, smaller: null, newer: null, older: null, storageClass: null });
  });

  it('tells a glob from a substring', () => {
    expect(isGlob('**/*.jpg')).toBe(true);
    expect(isGlob('a?c')).toBe(true);
    expect(isGlob('[ab].txt')).toBe(true);
    expect(isGlob('{a,b}')).toBe(true);
    expect(isGlob('2024')).toBe(false);
    expect(isGlob('docs/a.txt')).toBe(false);
  });
});

describe('search stream lines', () => {
  it('reads matches and the summary', () => {
    expect(parseSearchLine('{"key":"a/b.jpg","size":3,"last_modified":"2024-01-01T00:00:00Z","etag":"e","storage_class":null}')).toEqual({
      kind: 'match',
      match: { key: 'a/b.jpg', size: 3, last_modified: '2024-01-01T00:00:00Z', etag: 'e', storage_class: null },
    });
    expect(parseSearchLine('{"done":true,"matches":2,"scanned":6,"truncated":false,"as_of":"2024-05-10T11:58:00Z","elapsed_ms":4}')).toEqual({
      kind: 'done',
      summary: { done: true, matches: 2, scanned: 6, truncated: false, as_of: '2024-05-10T11:58:00Z', elapsed_ms: 4 },
    });
  });

  it('rejects an error line with its code, and lines that are not JSON', () => {
    expect(() => parseSearchLine('{"code":"bad_request","message":"bad glob"}')).toThrow(ApiError);
    try {
      parseSearchLine('{"code":"bad_request","message":"bad glob"}');
    } catch (e) {
      expect(e).toMatchObject({ code: 'bad_request', message: 'bad glob' });
    }
    expect(() => parseSearchLine('not json')).toThrow(/not JSON/);
    expect(() => parseSearchLine('[1]')).toThrow(/unexpected/);
  });
});

describe('words', () => {
  it('says how old the index is', () => {
    expect(indexAge(ago(10), NOW)).toBe('as of just now');
    expect(indexAge(ago(120), NOW)).toBe('as of 2 min ago');
    expect(indexAge(ago(3 * 3600), NOW)).toBe('as of 3 h ago');
    expect(indexAge(ago(3 * 86400), NOW)).toBe('as of 3 d ago');
    // Another clock ahead of this one: not "in 5 min".
    expect(indexAge(ago(-300), NOW)).toBe('as of just now');
    expect(indexAge(null, NOW)).toBe('');
    expect(indexAge('bad', NOW)).toBe('');
  });

  it('picks the later of two dates', () => {
    expect(laterDate(ago(60), ago(10))).toBe(ago(10));
    expect(laterDate(ago(10), ago(60))).toBe(ago(10));
    expect(laterDate(null, ago(5))).toBe(ago(5));
    expect(laterDate(ago(5), null)).toBe(ago(5));
    expect(laterDate(null, undefined)).toBeNull();
  });

  it('reads an index while it is ready, or listed again after a complete build', () => {
    const t = '2024-05-10T11:58:00Z';
    expect(isUsable({ state: 'ready', as_of: t })).toBe(true);
    expect(isUsable({ state: 'building', as_of: t })).toBe(true);
    expect(isUsable({ state: 'building', as_of: null })).toBe(false);
    expect(isUsable({ state: 'too_big', as_of: null })).toBe(false);
    expect(isUsable({ state: 'failed', as_of: null })).toBe(false);
    expect(isUsable(null)).toBe(false);
    expect(isUsable(undefined)).toBe(false);
  });

  it('says what state an index is in', () => {
    const base = { objects: 12_000, progress: null, error: null };
    expect(indexStateLabel({ ...base, state: 'ready' })).toBe('Ready');
    expect(indexStateLabel({ ...base, state: 'building', progress: 1500 })).toBe('Indexing… 1,500 objects listed');
    expect(indexStateLabel({ ...base, state: 'too_big' }, 200_000)).toBe('Not indexed: more than 200,000 objects');
    expect(indexStateLabel({ ...base, state: 'failed', error: 'access denied' })).toBe('Failed: access denied');
  });
});

// --- the client's routes ------------------------------------------------------------

/** A transport whose other end the test plays. `chunks`: the search body, as it
 * streams (absent: a transport that cannot stream, like the desktop's IPC). */
class Fake implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  streamed: { path: string; query: Record<string, string> }[] = [];
  stream?: Transport['stream'];

  constructor(
    private readonly answer: (r: JsonRequest) => unknown,
    private readonly body = '',
    chunks?: string[],
  ) {
    if (chunks) {
      this.stream = async (path, query, onText, signal) => {
        this.streamed.push({ path, query });
        for (const c of chunks) {
          if (signal?.aborted) throw new ApiError('cancelled', 'The operation was cancelled.');
          onText(c);
          await Promise.resolve();
        }
      };
    }
  }
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    return this.answer(request) as T;
  }
  async bytes(path: string, query: Record<string, string>): Promise<ArrayBuffer> {
    this.streamed.push({ path, query });
    return new TextEncoder().encode(this.body).buffer as ArrayBuffer;
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

const BODY =
  '{"key":"docs/b.jpg","size":2,"last_modified":null,"etag":null,"storage_class":null}\n' +
  '{"key":"top.jpg","size":5,"last_modified":null,"etag":null,"storage_class":"STANDARD"}\n' +
  '{"done":true,"matches":2,"scanned":6,"truncated":false,"as_of":"2024-05-10T11:58:00Z","elapsed_ms":3}\n';

describe('CofferApi index routes', () => {
  it('streams the search: matches as their lines complete, then the summary', async () => {
    const cut = [BODY.slice(0, 30), BODY.slice(30, 100), BODY.slice(100, 170), BODY.slice(170)];
    const t = new Fake(() => null, '', cut);
    const seen: string[] = [];
    const summary = await new CofferApi(t).searchIndex('p 1', 'b', { q: '**/*.jpg', limit: 1000 }, (m) => seen.push(m.key));
    expect(seen).toEqual(['docs/b.jpg', 'top.jpg']);
    expect(summary).toMatchObject({ matches: 2, scanned: 6, truncated: false });
    expect(t.streamed).toEqual([
      { path: '/api/v1/profiles/p%201/buckets/b/index/search', query: { q: '**/*.jpg', limit: '1000' } },
    ]);
  });

  it('reads the search whole where the transport cannot stream', async () => {
    const t = new Fake(() => null, BODY);
    const seen: ObjectSummary[] = [];
    const summary = await new CofferApi(t).searchIndex('p', 'b', { q: '2024', prefix: 'photos/' }, (m) => seen.push(m));
    expect(seen.map((m) => m.key)).toEqual(['docs/b.jpg', 'top.jpg']);
    expect(seen[1].storage_class).toBe('STANDARD');
    expect(summary.as_of).toBe('2024-05-10T11:58:00Z');
    expect(t.streamed[0].query).toEqual({ q: '2024', prefix: 'photos/' });
  });

  it('fails a search that ends without its summary, and one that is stopped', async () => {
    const cutShort = new Fake(() => null, '', [BODY.split('\n')[0] + '\n']);
    await expect(new CofferApi(cutShort).searchIndex('p', 'b', { q: '' }, () => undefined)).rejects.toMatchObject({
      code: 'incomplete',
    });
    const controller = new AbortController();
    const stopped = new Fake(() => null, '', [BODY.slice(0, 90), BODY.slice(90)]);
    const run = new CofferApi(stopped).searchIndex('p', 'b', { q: '' }, () => controller.abort(), controller.signal);
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('reads no index as null, and calls the other routes as the contract says', async () => {
    const t = new Fake((r) => {
      if (r.method === 'GET' && r.path.endsWith('/buckets/b/index')) throw new ApiError('not_found', 'no index', 404);
      return { ok: true };
    });
    const api = new CofferApi(t);
    expect(await api.bucketIndex('p', 'b')).toBeNull();
    await api.buildIndex('p', 'b');
    await api.buildIndex('p', 'b', { force: true, wait: true });
    await api.indexList('p', 'b', 'docs/', null, 1000);
    await api.indexList('p', 'b', 'docs/', 'docs/k', 10_000);
    await api.refreshFolder('p', 'b', 'docs/');
    await api.folderSize('p', 'b', 'a b/');
    await api.forgetIndex('p', 'b');
    await api.indexes();
    await api.saveIndexSettings({ auto: false, auto_limit: 5, refresh_minutes: 0 });
    const seen = t.requests.map((r) => [r.method, r.path.replace('/api/v1/profiles/p/buckets/b', '…'), r.query ?? null, r.body ?? null]);
    expect(seen).toEqual([
      ['GET', '…/index', null, null],
      ['POST', '…/index', null, {}],
      ['POST', '…/index', null, { force: true, wait: true }],
      ['GET', '…/index/list', { prefix: 'docs/', limit: '1000' }, null],
      ['GET', '…/index/list', { prefix: 'docs/', start_after: 'docs/k', limit: '10000' }, null],
      ['POST', '…/index/refresh-folder', { prefix: 'docs/' }, null],
      ['GET', '…/index/size', { prefix: 'a b/' }, null],
      ['DELETE', '…/index', null, null],
      ['GET', '/api/v1/index', null, null],
      ['PUT', '/api/v1/settings/index', null, { auto: false, auto_limit: 5, refresh_minutes: 0 }],
    ]);
  });

  it('passes other errors of the index route on', async () => {
    const t = new Fake(() => {
      throw new ApiError('network', 'down');
    });
    await expect(new CofferApi(t).bucketIndex('p', 'b')).rejects.toMatchObject({ code: 'network' });
  });
});

describe('HttpTransport.stream', () => {
  it('hands decoded text on as it arrives, a character cut between chunks included', async () => {
    const { HttpTransport } = await import('./transport-http');
    const { setToken } = await import('./auth');
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    });
    setToken('tok');
    const bytes = new TextEncoder().encode('{"key":"é"}\n');
    const cutAt = bytes.indexOf(0xc3) + 1; // inside "é"
    const fetch = vi.fn(
      async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(bytes.slice(0, cutAt));
              c.enqueue(bytes.slice(cutAt));
              c.close();
            },
          }),
          { headers: { 'content-type': 'application/x-ndjson' } },
        ),
    );
    vi.stubGlobal('fetch', fetch);
    try {
      let text = '';
      await new HttpTransport().stream('/api/v1/x/index/search', { q: 'a b' }, (t) => (text += t));
      expect(text).toBe('{"key":"é"}\n');
      const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
      expect(url).toBe('/api/v1/x/index/search?q=a%20b');
      expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');

      vi.stubGlobal('fetch', vi.fn(async () => Response.json({ code: 'not_found', message: 'no index' }, { status: 404 })));
      await expect(new HttpTransport().stream('/x', {}, () => undefined)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
