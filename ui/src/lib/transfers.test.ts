// The transfers model against a fake transport: the job bodies it sends, the rows the
// job list and the event stream make, and the row actions.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CofferApi } from './api';
import { onChanged, type Change } from './changes';
import type { EventHandlers, JsonRequest, Transport } from './transport';
import type { ApiEvent, Job } from './types';

beforeAll(() => {
  // The Tauri mocks (native dialogs) expect a browser `window`.
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(async () => {
  (await import('@tauri-apps/api/mocks')).clearMocks();
});

function job(id: string, patch: Partial<Job> = {}): Job {
  return {
    id,
    kind: 'upload',
    name: `upload of ${id}`,
    params: { profile: 'p', bucket: 'b', key: `k/${id}`, path: `/tmp/${id}` },
    schedule: null,
    enabled: true,
    notify: { on_failure: true, on_success: false },
    webhook: null,
    created: '2024-01-01T00:00:00Z',
    state: 'queued',
    progress: null,
    error: null,
    run: null,
    trigger: 'added',
    last_run: null,
    next_run: null,
    queued_at: null,
    can_pause: true,
    ...patch,
  };
}

const backup = job('bk', { kind: 'backup', name: 'nightly backup', params: { source: '/home' }, state: 'running' });

/** A transport that answers from a function and lets the test push events. */
class FakeTransport implements Transport {
  requests: JsonRequest[] = [];
  handlers: EventHandlers | null = null;
  constructor(
    readonly kind: 'tauri' | 'http',
    private answer: (r: JsonRequest) => unknown,
  ) {}
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    return this.answer(request) as T;
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(handlers: EventHandlers): () => void {
    this.handlers = handlers;
    handlers.onOpen?.();
    return () => (this.handlers = null);
  }
  emit(event: ApiEvent): void {
    this.handlers?.onEvent(event);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

async function setup(kind: 'tauri' | 'http', answer: (r: JsonRequest) => unknown) {
  const { Transfers } = await import('./transfers.svelte');
  const transport = new FakeTransport(kind, answer);
  const transfers = new Transfers(new CofferApi(transport));
  return { transport, transfers };
}

describe('Transfers', () => {
  it('loads upload and download jobs from params, skipping other kinds', async () => {
    const { transfers } = await setup('http', (r) =>
      r.path === '/api/v1/jobs'
        ? [job('a', { state: 'running' }), job('d', { kind: 'download', params: { profile: 'p', bucket: 'b', key: 'x.bin', path: '/dl' } }), backup]
        : null,
    );
    transfers.start();
    await tick();
    expect(transfers.rows.map((r) => [r.id, r.direction, r.name, r.state])).toEqual([
      ['a', 'upload', 'k/a', 'running'],
      ['d', 'download', 'x.bin', 'queued'],
    ]);
    transfers.stop();
  });

  it('follows job events: progress, done (the listing reloads), removed', async () => {
    const { transport, transfers } = await setup('http', () => []);
    const changes: Change[] = [];
    const off = onChanged((c) => changes.push(c));
    transfers.start();
    await tick();
    const progress = { operation: 'upload', bytes_done: 5, bytes_total: 10, bytes_resumed: 0, items_done: 0, items_total: 1, rate: 5, eta: 1, elapsed: 1, finished: false };
    transport.emit({ stream: 'job', data: { kind: 'progress', job: job('a', { state: 'running', progress }) } });
    expect(transfers.rows[0]).toMatchObject({ id: 'a', state: 'running', bytesDone: 5, bytesTotal: 10 });
    transport.emit({ stream: 'job', data: { kind: 'progress', job: backup } });
    expect(transfers.rows).toHaveLength(1);
    transport.emit({ stream: 'job', data: { kind: 'done', job: job('a', { state: 'done', progress: { ...progress, bytes_done: 10, finished: true } }) } });
    expect(transfers.rows[0]).toMatchObject({ state: 'done', bytesDone: 10 });
    expect(changes).toEqual([{ profile: 'p', bucket: 'b', key: 'k/a' }]);
    transport.emit({ stream: 'transfer', data: { kind: 'done', id: 't9', profile: 'p', bucket: 'b', key: 'other', progress: null, error: null } });
    expect(changes).toHaveLength(2);
    expect(transfers.rows.map((r) => r.id)).toEqual(['a', 'transfer-t9']);
    transport.emit({ stream: 'job', data: { kind: 'removed', job: job('a', { state: 'done' }) } });
    expect(transfers.rows.map((r) => r.id)).toEqual(['transfer-t9']);
    off();
    transfers.stop();
  });

  it('creates upload jobs with params from dropped paths (desktop)', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    mockIPC((cmd) => (cmd === 'path_kinds' ? ['file', 'dir'] : null));
    let n = 0;
    const { transport, transfers } = await setup('tauri', (r) => {
      if (r.method === 'POST' && r.path === '/api/v1/jobs') {
        const body = r.body as { kind: 'upload'; params: Job['params'] };
        return job(`j${++n}`, { kind: body.kind, params: body.params });
      }
      return null;
    });
    await transfers.uploadPaths({ profile: 'p', bucket: 'b', prefix: 'in/' }, ['/home/me/a.txt', '/home/me/photos']);
    expect(transport.requests.map((r) => r.body)).toEqual([
      { kind: 'upload', params: { profile: 'p', bucket: 'b', key: 'in/a.txt', path: '/home/me/a.txt' } },
      { kind: 'upload', params: { profile: 'p', bucket: 'b', key: 'in/photos/', path: '/home/me/photos' } },
    ]);
    expect(transfers.rows.map((r) => [r.name, r.direction])).toEqual([
      ['in/a.txt', 'upload'],
      ['in/photos/', 'upload'],
    ]);
  });

  it('creates download jobs into the chosen folder (desktop)', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    mockIPC((cmd) => (cmd === 'choose_folder' ? '/home/me/Downloads' : null));
    const { transport, transfers } = await setup('tauri', (r) => {
      const body = r.body as { kind: 'download'; params: Job['params'] };
      return job('d1', { kind: body.kind, params: body.params });
    });
    await transfers.download('p', 'b', [{ key: 'x/y.bin', folder: false }], new Map());
    expect(transport.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/jobs',
      body: { kind: 'download', params: { profile: 'p', bucket: 'b', key: 'x/y.bin', path: '/home/me/Downloads' } },
    });
    expect(transfers.rows[0]).toMatchObject({ id: 'd1', direction: 'download', name: 'x/y.bin' });
  });

  it('runs row actions on the job routes; pause all keeps other kinds out of the rows', async () => {
    const { transport, transfers } = await setup('http', (r) => {
      if (r.path === '/api/v1/jobs') return [job('a', { state: 'idle' }), job('b', { state: 'running' })];
      if (r.path === '/api/v1/jobs/a/run') return job('a', { state: 'queued' });
      if (r.path === '/api/v1/jobs/pause-all') return [job('a', { state: 'paused' }), job('b', { state: 'paused' }), backup];
      return null;
    });
    transfers.start();
    await tick();
    const [a] = transfers.rows;
    expect(a.state).toBe('idle');
    await transfers.act(a, 'run');
    expect(transfers.rows[0].state).toBe('queued');
    await transfers.pauseAll();
    expect(transfers.rows.map((r) => r.state)).toEqual(['paused', 'paused']);
    await transfers.act(transfers.rows[1], 'clear');
    expect(transport.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/jobs',
      'POST /api/v1/jobs/a/run',
      'POST /api/v1/jobs/pause-all',
      'DELETE /api/v1/jobs/b',
    ]);
    expect(transfers.rows.map((r) => r.id)).toEqual(['a']);
    transfers.stop();
  });
});
