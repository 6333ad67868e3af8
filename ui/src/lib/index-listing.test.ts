// Folders from the index: a second visit shows the first page from the index (marked
// with its age) before the folder is listed again on the server, and the rows that
// the refresh changed are merged in by key (unchanged rows keep their objects, so the
// list does not redraw them; the selection keeps the keys that still exist). Without
// an index the server is listed, as always.
import { describe, expect, it } from 'vitest';
import { CofferApi } from './api';
import { BucketIndexes } from './bucket-index.svelte';
import { entriesOfPage, mergeEntries, type Entry } from './entries';
import { ApiError } from './errors';
import { Listing } from './listing.svelte';
import * as sel from './selection';
import type { JsonRequest, Transport } from './transport';
import type { IndexInfo, ObjectSummary } from './types';

const obj = (key: string, size = 1, etag = 'e'): ObjectSummary => ({
  key,
  size,
  last_modified: '2024-05-01T00:00:00Z',
  etag,
  storage_class: null,
});
const entries = (prefixes: string[], objects: ObjectSummary[], prefix = 'docs/'): Entry[] =>
  entriesOfPage({ common_prefixes: prefixes, objects, next_token: null }, prefix);
const keysOf = (es: readonly Entry[]) => es.map((e) => e.key);

describe('mergeEntries', () => {
  const before = entries(['docs/deep/'], [obj('docs/a.txt'), obj('docs/b.jpg'), obj('docs/c.png')]);

  it('keeps every unchanged row as it was, and says nothing changed', () => {
    const again = entries(['docs/deep/'], [obj('docs/a.txt'), obj('docs/b.jpg'), obj('docs/c.png')]);
    const m = mergeEntries(before, again);
    expect(m.changed).toBe(false);
    expect(m.entries.every((e, i) => e === before[i])).toBe(true);
    expect([m.added, m.updated, m.removed]).toEqual([0, 0, 0]);
  });

  it('replaces changed rows in place, inserts new ones in order, drops removed ones', () => {
    const fresh = entries(['docs/deep/', 'docs/new/'], [obj('docs/a.txt'), obj('docs/b.jpg', 99, 'e2'), obj('docs/bb.txt')]);
    const m = mergeEntries(before, fresh);
    expect(m.changed).toBe(true);
    expect(keysOf(m.entries)).toEqual(['docs/deep/', 'docs/new/', 'docs/a.txt', 'docs/b.jpg', 'docs/bb.txt']);
    expect([m.added, m.updated, m.removed]).toEqual([2, 1, 1]);
    expect(m.entries[0]).toBe(before[0]);
    expect(m.entries[2]).toBe(before[1]);
    expect(m.entries[3]).not.toBe(before[2]);
    expect(m.entries[3].size).toBe(99);
  });

  it('notices a new order of the same rows', () => {
    const m = mergeEntries(before, [before[1], before[0], before[2], before[3]]);
    expect(m.changed).toBe(true);
    expect([m.added, m.updated, m.removed]).toEqual([0, 0, 0]);
  });

  it('leaves the selection on the keys that still exist', () => {
    const keys = keysOf(before);
    const chosen = sel.clickRow(sel.clickRow(sel.emptySelection, keys, 1), keys, 3, { toggle: true });
    expect([...chosen.keys]).toEqual(['docs/a.txt', 'docs/c.png']);
    const fresh = entries(['docs/deep/'], [obj('docs/0.txt'), obj('docs/a.txt', 5), obj('docs/b.jpg')]);
    const next = keysOf(mergeEntries(before, fresh).entries);
    const after = sel.reconcile(chosen, keys, next);
    expect([...after.keys]).toEqual(['docs/a.txt']);
    expect(after.focus).toBe(-1); // the focused row (c.png) is gone
    const kept = sel.reconcile(sel.clickRow(sel.emptySelection, keys, 1), keys, next);
    expect(kept.focus).toBe(next.indexOf('docs/a.txt'));
  });
});

// --- the listing over a fake API ----------------------------------------------------------

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
};

const READY: IndexInfo = {
  profile: 'p',
  bucket: 'b',
  state: 'ready',
  objects: 3,
  bytes: 3,
  built_at: '2024-05-10T11:58:00Z',
  as_of: '2024-05-10T11:58:00Z',
  error: null,
  progress: null,
};

/** A server whose index and bucket the test changes. */
class Server implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  indexed = false;
  /** What the index holds of `docs/`. */
  index: ObjectSummary[] = [obj('docs/a.txt'), obj('docs/b.jpg'), obj('docs/c.png')];
  /** What the bucket holds of `docs/` (the refresh copies it into the index). */
  bucket: ObjectSummary[] = this.index.slice();
  /** Holds the refresh until the test lets it go. */
  refreshGate: Deferred<void> | null = null;

  async json<T>(r: JsonRequest): Promise<T> {
    this.requests.push(r);
    const path = r.path.replace('/api/v1/profiles/p/buckets/b', '');
    if (path === '/objects') return { objects: this.bucket, common_prefixes: ['docs/deep/'], next_token: null } as T;
    if (path === '/index' && r.method === 'GET') {
      if (!this.indexed) throw new ApiError('not_found', 'no index', 404);
      return READY as T;
    }
    if (path === '/index/list') {
      if (!this.indexed) throw new ApiError('not_found', 'no index', 404);
      // Two pages: the first holds one object, to check paging by start_after.
      const all = this.index;
      if (!r.query?.start_after) {
        return { objects: all.slice(0, 1), common_prefixes: ['docs/deep/'], next_token: all[0].key, as_of: READY.as_of } as T;
      }
      const from = all.findIndex((o) => o.key === r.query?.start_after) + 1;
      return { objects: all.slice(from), common_prefixes: [], next_token: null, as_of: READY.as_of } as T;
    }
    if (path === '/index/refresh-folder') {
      await this.refreshGate?.promise;
      const changed = JSON.stringify(this.index) !== JSON.stringify(this.bucket);
      this.index = this.bucket.slice();
      return { added: changed ? 1 : 0, updated: 0, removed: 0, as_of: '2024-05-10T12:00:00Z' } as T;
    }
    throw new Error(`unexpected ${r.method} ${r.path}`);
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(): () => void {
    return () => undefined;
  }
  routes(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path.replace('/api/v1/profiles/p/buckets/b', '')}${r.query?.start_after ? ' +' : ''}`);
  }
}

const place = { profile: 'p', bucket: 'b', prefix: 'docs/' };

describe('Listing with an index', () => {
  it('lists the server when the bucket has no index, and then stops asking the index', async () => {
    const server = new Server();
    const api = new CofferApi(server);
    const indexes = new BucketIndexes(api);
    const listing = new Listing(api, indexes);
    await listing.load(place, false);
    await settle();
    expect(listing.source).toBe('live');
    expect(keysOf(listing.entries)).toEqual(['docs/deep/', 'docs/a.txt', 'docs/b.jpg', 'docs/c.png']);
    expect(indexes.info('p', 'b')).toBeNull();
    server.requests = [];
    await listing.load(place, false);
    expect(server.routes()).toEqual(['GET /objects']);
  });

  it('shows a second visit from the index at once, then merges the refreshed rows', async () => {
    const server = new Server();
    const api = new CofferApi(server);
    const indexes = new BucketIndexes(api);
    const listing = new Listing(api, indexes);
    // First visit: no index yet.
    await listing.load(place, false);
    // The index is built; the bucket changes behind it.
    server.indexed = true;
    await indexes.load('p', 'b');
    server.bucket = [obj('docs/a.txt'), obj('docs/b.jpg', 50, 'e9'), obj('docs/d.txt')];
    server.refreshGate = deferred<void>();
    server.requests = [];

    // Second visit: the first page from the index, before the server is listed.
    await listing.load(place, false);
    expect(listing.source).toBe('index');
    expect(listing.asOf).toBe(READY.as_of);
    expect(listing.ready).toBe(true);
    expect(listing.loading).toBe(false);
    expect(listing.refreshing).toBe(true);
    expect(keysOf(listing.entries)).toEqual(['docs/deep/', 'docs/a.txt', 'docs/b.jpg', 'docs/c.png']);
    expect(server.routes()).toEqual(['GET /index/list', 'GET /index/list +', 'POST /index/refresh-folder']);
    const [deep, a, b] = listing.entries;

    // The refresh answers: the index is read again and merged in.
    server.refreshGate.resolve();
    await settle();
    expect(listing.refreshing).toBe(false);
    expect(listing.source).toBe('index');
    expect(listing.asOf).toBe('2024-05-10T12:00:00Z');
    expect(keysOf(listing.entries)).toEqual(['docs/deep/', 'docs/a.txt', 'docs/b.jpg', 'docs/d.txt']);
    expect(listing.entries[0]).toBe(deep);
    expect(listing.entries[1]).toBe(a);
    expect(listing.entries[2]).not.toBe(b);
    expect(listing.entries[2].size).toBe(50);
    expect(server.routes().filter((r) => r.startsWith('GET /objects'))).toEqual([]);
  });

  it('reloads from the index by listing the folder on the server first', async () => {
    const server = new Server();
    server.indexed = true;
    const api = new CofferApi(server);
    const listing = new Listing(api, new BucketIndexes(api));
    await listing.load(place, false);
    await settle();
    server.bucket = [...server.bucket, obj('docs/e.txt')];
    server.requests = [];
    await listing.reload();
    expect(server.routes()).toEqual(['POST /index/refresh-folder', 'GET /index/list', 'GET /index/list +']);
    expect(keysOf(listing.entries)).toContain('docs/e.txt');
    expect(listing.source).toBe('index');
    expect(listing.loading).toBe(false);
  });

  it('goes back to the server when the index is forgotten under it', async () => {
    const server = new Server();
    server.indexed = true;
    const api = new CofferApi(server);
    const indexes = new BucketIndexes(api);
    const listing = new Listing(api, indexes);
    await indexes.load('p', 'b');
    await listing.load(place, false);
    await settle();
    server.indexed = false;
    await listing.reload();
    await settle();
    expect(listing.source).toBe('live');
    expect(listing.error).toBeNull();
    expect(keysOf(listing.entries)).toEqual(['docs/deep/', 'docs/a.txt', 'docs/b.jpg', 'docs/c.png']);
    expect(indexes.info('p', 'b')).toBeNull();
  });
});
