// The backup calls of the API client: routes, query values (paths in a snapshot are
// absolute and may hold spaces, `%`, `+`, `&`, `#` and unicode), bodies, and the
// restore's job id header, over a recording transport, real HTTP (stubbed fetch) and
// mocked Tauri IPC.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { setToken } from './auth';
import { JOB_ID_HEADER, type JsonRequest, type Transport } from './transport';
import { HttpTransport } from './transport-http';

const ODD = '/home/me/a b%20+c&d=e#f?g ü 日本.txt';
const REPO = 's3://bucket/my backups+%/';

class Recorder implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  constructor(private readonly answer: unknown = null) {}
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    return this.answer as T;
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

beforeAll(() => {
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(async () => {
  vi.unstubAllGlobals();
  (await import('@tauri-apps/api/mocks')).clearMocks();
});

describe('backup routes', () => {
  it('lists and adds repositories', async () => {
    const t = new Recorder([]);
    const api = new CofferApi(t);
    await api.backupRepos();
    await api.addBackupRepo({ profile: 'p', repo: REPO, password: 'pw', create: true, append_only: false });
    expect(t.requests).toEqual([
      { method: 'GET', path: '/api/v1/backups/repos', query: undefined },
      { method: 'POST', path: '/api/v1/backups/repos', body: { profile: 'p', repo: REPO, password: 'pw', create: true, append_only: false }, query: undefined },
    ]);
  });

  it('puts profile, repository, snapshot and path in the query, as they are', async () => {
    const t = new Recorder([]);
    const api = new CofferApi(t);
    await api.snapshots('my p', REPO);
    await api.snapshotFolder('my p', REPO, 'abc123', ODD);
    await api.snapshotFolder('p', REPO, 'latest', '/');
    await api.timeline('p', REPO, ODD);
    expect(t.requests).toEqual([
      { method: 'GET', path: '/api/v1/backups/snapshots', query: { profile: 'my p', repo: REPO } },
      { method: 'GET', path: '/api/v1/backups/ls', query: { profile: 'my p', repo: REPO, snapshot: 'abc123', path: ODD } },
      { method: 'GET', path: '/api/v1/backups/ls', query: { profile: 'p', repo: REPO, snapshot: 'latest', path: '/' } },
      { method: 'GET', path: '/api/v1/backups/timeline', query: { profile: 'p', repo: REPO, path: ODD } },
    ]);
  });

  it('sends restore, forget, prune and check bodies the server takes', async () => {
    const t = new Recorder({});
    const api = new CofferApi(t);
    const request = { profile: 'p', repo: REPO, snapshot: 'abc', path: ODD, target: '/tmp/out dir', overwrite: 'never' as const };
    await api.restore(request, 'restore-1');
    await api.restore(request);
    await api.forget('p', REPO, { daily: 7, last: 1 }, true, true);
    await api.prune('p', REPO, false);
    await api.check('p', REPO);
    await api.check('p', REPO, '10%');
    expect(t.requests).toEqual([
      { method: 'POST', path: '/api/v1/backups/restore', body: request, query: undefined, headers: { [JOB_ID_HEADER]: 'restore-1' } },
      { method: 'POST', path: '/api/v1/backups/restore', body: request, query: undefined },
      { method: 'POST', path: '/api/v1/backups/forget', body: { profile: 'p', repo: REPO, keep: { daily: 7, last: 1 }, prune: true, dry_run: true }, query: undefined },
      { method: 'POST', path: '/api/v1/backups/prune', body: { profile: 'p', repo: REPO, dry_run: false }, query: undefined },
      { method: 'POST', path: '/api/v1/backups/check', body: { profile: 'p', repo: REPO }, query: undefined },
      { method: 'POST', path: '/api/v1/backups/check', body: { profile: 'p', repo: REPO, read_data_subset: '10%' }, query: undefined },
    ]);
  });
});

describe('backup routes over HTTP', () => {
  function stub() {
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    });
    setToken('t');
    const fetch = vi.fn(async () => Response.json([]));
    vi.stubGlobal('fetch', fetch);
    return fetch;
  }

  it('percent-encodes every query value: `+` is not a space, `&` and `#` do not cut it', async () => {
    const fetch = stub();
    await new CofferApi(new HttpTransport()).snapshotFolder('my p', REPO, 'abc', ODD);
    const [url] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(
      '/api/v1/backups/ls?profile=my%20p&repo=s3%3A%2F%2Fbucket%2Fmy%20backups%2B%25%2F&snapshot=abc' +
        '&path=%2Fhome%2Fme%2Fa%20b%2520%2Bc%26d%3De%23f%3Fg%20%C3%BC%20%E6%97%A5%E6%9C%AC.txt',
    );
    // What a server's query parser reads back.
    const query = new URL(url, 'http://coffer.test').searchParams;
    expect(query.get('path')).toBe(ODD);
    expect(query.get('repo')).toBe(REPO);
    expect(query.get('profile')).toBe('my p');
  });

  it('names the restore’s one-off job with x-coffer-job-id', async () => {
    const fetch = stub();
    const request = { profile: 'p', repo: REPO, snapshot: 'abc', path: ODD, target: '/tmp/out', overwrite: 'if-changed' as const };
    await new CofferApi(new HttpTransport()).restore(request, 'restore-abc');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/backups/restore');
    expect(init.method).toBe('POST');
    const headers = init.headers as Record<string, string>;
    expect(headers[JOB_ID_HEADER]).toBe('restore-abc');
    expect(headers.Authorization).toBe('Bearer t');
    expect(JSON.parse(init.body as string)).toEqual(request);
  });
});

describe('backup routes over Tauri IPC', () => {
  it('passes the query map untouched and no headers (the shell takes none)', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { TauriTransport } = await import('./transport-tauri');
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return [];
    });
    const api = new CofferApi(new TauriTransport());
    await api.timeline('my p', REPO, ODD);
    await api.restore({ profile: 'p', repo: REPO, snapshot: 's', path: ODD, target: '/t', overwrite: 'never' }, 'restore-1');
    expect(calls[0]).toEqual([
      'api_json',
      { request: { method: 'GET', path: '/api/v1/backups/timeline', query: { profile: 'my p', repo: REPO, path: ODD }, body: undefined } },
    ]);
    expect(calls[1][0]).toBe('api_json');
    const request = (calls[1][1] as { request: Record<string, unknown> }).request;
    expect(request).not.toHaveProperty('headers');
    expect(request).toMatchObject({ method: 'POST', path: '/api/v1/backups/restore', body: { path: ODD, target: '/t' } });
  });
});
