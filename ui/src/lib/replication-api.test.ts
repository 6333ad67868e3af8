// The replication calls of the API client: routes (job ids encoded as path segments),
// bodies, and errors as the page sees them, over a recording transport, real HTTP
// (stubbed fetch) and mocked Tauri IPC.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { setToken } from './auth';
import { isExists, removeReplication } from './replication';
import type { JsonRequest, Transport } from './transport';
import { HttpTransport } from './transport-http';

class Recorder implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  constructor(private readonly answer: (r: JsonRequest) => unknown = () => null) {}
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    return this.answer(request) as T;
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

const ODD_ID = 'a b/c?#';

beforeAll(() => {
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(async () => {
  vi.unstubAllGlobals();
  (await import('@tauri-apps/api/mocks')).clearMocks();
});

describe('replication routes', () => {
  it('lists, reads, drills, lists restore points', async () => {
    const t = new Recorder(() => []);
    const api = new CofferApi(t);
    await api.replicationJobs();
    await api.replicationJob(ODD_ID);
    await api.replicationTimeline('r1');
    await api.replicationDrill('r1');
    expect(t.requests).toEqual([
      { method: 'GET', path: '/api/v1/replication', query: undefined },
      { method: 'GET', path: '/api/v1/replication/a%20b%2Fc%3F%23', query: undefined },
      { method: 'GET', path: '/api/v1/replication/r1/timeline', query: undefined },
      { method: 'POST', path: '/api/v1/replication/r1/drill', body: undefined, query: undefined },
    ]);
  });

  it('sends the restore and the preview bodies as they are', async () => {
    const t = new Recorder();
    const api = new CofferApi(t);
    const restore = { to: '/data/r e+%.db', timestamp_ms: 1796115632719, force: false, replica: 0 };
    const preview = { db: '/data/app.db', interval_ms: 1000, replicas: 1, snapshot_every_s: 86400, retain_s: 604800, window_ms: 3000 };
    await api.replicationRestore('r1', restore);
    await api.replicationPreview(preview);
    expect(t.requests).toEqual([
      { method: 'POST', path: '/api/v1/replication/r1/restore', body: restore, query: undefined },
      { method: 'POST', path: '/api/v1/replication/preview', body: preview, query: undefined },
    ]);
  });

  it('adds a job like any other, and removes it with cancel, get and delete', async () => {
    let state = 'running';
    const t = new Recorder((r) => {
      if (r.path.endsWith('/cancel')) state = 'canceled';
      return r.method === 'DELETE' ? null : { id: 'r1', name: 'replication of app.db', state };
    });
    const api = new CofferApi(t);
    const params = {
      db: '/data/app.db',
      name: null,
      replicas: [{ profile: 'garage', url: 's3://b/dbs' }],
      interval_ms: 1000,
      snapshot_every_s: 86400,
      retain_s: 604800,
      drill_every_s: 86400,
      lag_alert_s: 60,
    };
    await api.createJob({ kind: 'replicate', params, notify: { on_failure: true, on_success: false } });
    const job = (await api.job('r1')) as never;
    t.requests = [];
    await removeReplication(api, job, { sleep: async () => undefined });
    expect(t.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v1/jobs/r1/cancel', 'GET /api/v1/jobs/r1', 'DELETE /api/v1/jobs/r1']);
  });
});

describe('replication routes over HTTP', () => {
  function stub(response: () => Response) {
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    });
    setToken('t');
    const fetch = vi.fn(async () => response());
    vi.stubGlobal('fetch', fetch);
    return fetch;
  }

  it('posts the restore as JSON with the token', async () => {
    const fetch = stub(() => Response.json({ txid: 42 }));
    const body = { to: '/data/r.db', timestamp_ms: 5, force: true, replica: 1 };
    expect(await new CofferApi(new HttpTransport()).replicationRestore('r 1', body)).toEqual({ txid: 42 });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/replication/r%201/restore');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer t');
    expect(JSON.parse(init.body as string)).toEqual(body);
  });

  it('rejects a restore onto an existing file with `exists` (409)', async () => {
    stub(() => Response.json({ code: 'exists', message: '/data/r.db exists: pass force to replace it' }, { status: 409 }));
    const error = await new CofferApi(new HttpTransport()).replicationRestore('r1', { to: '/data/r.db', force: false, replica: 0 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'exists', status: 409, message: '/data/r.db exists: pass force to replace it' });
    expect(isExists(error)).toBe(true);
  });
});

describe('replication routes over Tauri IPC', () => {
  it('calls api_json with the same request, and keeps the error’s code', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { TauriTransport } = await import('./transport-tauri');
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      const path = (args as { request: { path: string } }).request.path;
      if (path.endsWith('/restore')) throw { code: 'exists', message: 'the file exists' };
      return [];
    });
    const api = new CofferApi(new TauriTransport());
    await api.replicationTimeline('r1');
    const error = await api.replicationRestore('r1', { to: '/r.db', force: false, replica: 0 }).catch((e: unknown) => e);
    expect(calls[0]).toEqual(['api_json', { request: { method: 'GET', path: '/api/v1/replication/r1/timeline', query: undefined, body: undefined } }]);
    expect(calls[1][1]).toEqual({ request: { method: 'POST', path: '/api/v1/replication/r1/restore', query: undefined, body: { to: '/r.db', force: false, replica: 0 } } });
    expect(isExists(error)).toBe(true);
  });
});
