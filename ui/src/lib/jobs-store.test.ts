// The jobs page's state over both real transports (a stubbed fetch and SSE stream;
// mocked Tauri IPC and channel): the calls it makes, the rows events make, answers
// older than events, the selected job's history.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { setToken } from './auth';
import { ApiError } from './errors';
import type { JsonRequest } from './transport';
import { HttpTransport } from './transport-http';
import type { ApiEvent, Job, JobEvent, RunRecord } from './types';

function job(id: string, patch: Partial<Job> = {}): Job {
  return {
    id,
    kind: 'backup',
    name: `job ${id}`,
    params: {},
    schedule: null,
    enabled: true,
    notify: { on_failure: true, on_success: false },
    webhook: null,
    created: '2026-03-01T00:00:00Z',
    state: 'idle',
    progress: null,
    error: null,
    run: null,
    trigger: null,
    last_run: null,
    next_run: null,
    queued_at: null,
    can_pause: true,
    ...patch,
  };
}

const record = (id: string, result: RunRecord['result'] = 'done'): RunRecord => ({
  id,
  job: 'a',
  trigger: 'manual',
  started: '2026-03-10T03:00:00Z',
  ended: result === 'running' ? null : '2026-03-10T03:01:00Z',
  result,
  bytes: 10,
  items: 1,
  error: null,
});

type Answer = (r: JsonRequest) => unknown;

/** The API over a real transport whose other end the test plays: `answer` serves the
 * JSON calls, `emit` sends a job event down the stream. */
interface Harness {
  api: CofferApi;
  requests: JsonRequest[];
  /** Times the transport's event stream was opened. */
  streams(): number;
  emit(ev: JobEvent): Promise<void>;
  /** Ends the stream (HTTP: the transport reconnects). */
  drop(): void;
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function httpHarness(answer: Answer): Harness {
  const store = new Map<string, string>();
  vi.stubGlobal('sessionStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => store.set(k, v),
  });
  setToken('t');
  const requests: JsonRequest[] = [];
  let streams = 0;
  let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://coffer.test');
    if (url.pathname === '/api/v1/events') {
      streams += 1;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          stream = controller;
          init.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    }
    const request: JsonRequest = {
      method: (init.method ?? 'GET') as JsonRequest['method'],
      path: url.pathname,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(request);
    const a = await answer(request);
    if (a instanceof ApiError) return Response.json({ code: a.code, message: a.message }, { status: a.status ?? 400 });
    return a === null || a === undefined ? new Response(null, { status: 204 }) : Response.json(a);
  });
  return {
    api: new CofferApi(new HttpTransport()),
    requests,
    streams: () => streams,
    async emit(ev) {
      stream?.enqueue(new TextEncoder().encode(`event: job\ndata: ${JSON.stringify(ev)}\n\n`));
      await tick(5);
    },
    drop() {
      stream?.close();
    },
  };
}

async function tauriHarness(answer: Answer): Promise<Harness> {
  const { mockIPC } = await import('@tauri-apps/api/mocks');
  const { TauriTransport } = await import('./transport-tauri');
  const requests: JsonRequest[] = [];
  let channel: number | null = null;
  let streams = 0;
  let index = 0;
  mockIPC(async (cmd, args) => {
    if (cmd === 'api_events') {
      streams += 1;
      channel = (args as { onEvent: { id: number } }).onEvent.id;
      return new Promise(() => undefined);
    }
    const request = (args as { request: JsonRequest }).request;
    requests.push(request);
    const a = await answer(request);
    if (a instanceof ApiError) throw { code: a.code, message: a.message };
    return a ?? null;
  });
  return {
    api: new CofferApi(new TauriTransport()),
    requests,
    streams: () => streams,
    async emit(ev) {
      const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback(id: number, data: unknown): void } }).__TAURI_INTERNALS__;
      internals.runCallback(channel as number, { index: index++, message: { stream: 'job', data: ev } });
      await tick();
    },
    drop() {},
  };
}

/** A promise the test resolves, for answers that arrive late. */
function later<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

beforeAll(() => {
  // The Tauri mocks expect a browser `window`.
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(async () => {
  vi.unstubAllGlobals();
  (await import('@tauri-apps/api/mocks')).clearMocks();
});

async function setup(kind: 'tauri' | 'http', answer: Answer) {
  const { Jobs } = await import('./jobs.svelte');
  const h = kind === 'http' ? httpHarness(answer) : await tauriHarness(answer);
  return { h, api: h.api, jobs: new Jobs(h.api) };
}

const calls = (h: Harness) => h.requests.map((r) => `${r.method} ${r.path}`);

/** Like the app: the transfers panel holds the stream open before the page opens. */
async function connected(h: Harness): Promise<() => void> {
  const off = h.api.subscribe({ onEvent: () => undefined });
  await vi.waitFor(() => expect(h.streams()).toBe(1));
  await tick(5);
  return off;
}

describe.each(['http', 'tauri'] as const)('Jobs over %s', (kind) => {
  it('lists every kind of job and follows events on the shared stream', async () => {
    const { h, api, jobs } = await setup(kind, (r) =>
      r.path === '/api/v1/jobs' ? [job('a', { kind: 'upload' }), job('b')] : r.path === '/api/v1/jobs/kinds' ? ['upload', 'backup'] : null,
    );
    const seen: ApiEvent[] = [];
    const off = api.subscribe({ onEvent: (e) => seen.push(e) });
    await connected(h);
    jobs.start();
    await tick(5);
    expect(h.streams()).toBe(1);
    expect(calls(h)).toEqual(['GET /api/v1/jobs', 'GET /api/v1/jobs/kinds']);
    expect(jobs.list.map((j) => j.id)).toEqual(['a', 'b']);
    expect(jobs.kinds).toEqual(['upload', 'backup']);
    expect(jobs.loaded).toBe(true);
    await h.emit({ kind: 'started', job: job('b', { state: 'running' }) });
    expect(jobs.jobs.get('b')?.state).toBe('running');
    await h.emit({ kind: 'removed', job: job('a') });
    expect(jobs.list.map((j) => j.id)).toEqual(['b']);
    expect(seen).toHaveLength(2);
    jobs.stop();
    await h.emit({ kind: 'queued', job: job('c', { state: 'queued' }) });
    expect(jobs.jobs.has('c')).toBe(false);
    expect(seen).toHaveLength(3);
    off();
  });

  it('keeps what events said while the list was loading', async () => {
    const list = later<Job[]>();
    const { h, jobs } = await setup(kind, (r) => (r.path === '/api/v1/jobs' ? list.promise : []));
    const off = await connected(h);
    jobs.start();
    await h.emit({ kind: 'done', job: job('a', { state: 'done' }) });
    list.resolve([job('a', { state: 'running' }), job('b')]);
    await tick(5);
    expect(jobs.list.map((j) => [j.id, j.state])).toEqual([
      ['a', 'done'],
      ['b', 'idle'],
    ]);
    jobs.stop();
    off();
  });

  it('runs actions on the job routes; an answer older than an event is dropped', async () => {
    const run = later<Job>();
    const { h, jobs } = await setup(kind, (r) => {
      if (r.path === '/api/v1/jobs') return [job('a'), job('b', { state: 'running' })];
      if (r.path === '/api/v1/jobs/a/run') return run.promise;
      if (r.path === '/api/v1/jobs/b/pause') return job('b', { state: 'paused' });
      return [];
    });
    const off = await connected(h);
    jobs.start();
    await tick(5);
    await jobs.act(jobs.jobs.get('b')!, 'pause');
    expect(jobs.jobs.get('b')?.state).toBe('paused');
    // The run's answer (queued) comes after the event saying it finished.
    const acting = jobs.act(jobs.jobs.get('a')!, 'run');
    await h.emit({ kind: 'done', job: job('a', { state: 'done' }) });
    run.resolve(job('a', { state: 'queued' }));
    await acting;
    expect(jobs.jobs.get('a')?.state).toBe('done');
    expect(calls(h).slice(2)).toEqual(['POST /api/v1/jobs/b/pause', 'POST /api/v1/jobs/a/run']);
    jobs.stop();
    off();
  });

  it('edits schedules and the enabled switch with PUT, and passes the 400 on', async () => {
    const { h, jobs } = await setup(kind, (r) => {
      if (r.method === 'PUT') {
        const body = r.body as { schedule?: { cron?: string }; enabled?: boolean };
        if (body.schedule?.cron === '61 * * * *') {
          return new ApiError('invalid', 'schedule.cron: `61 * * * *` is not a cron expression', 400);
        }
        return job('a', { schedule: { every: '1h' }, enabled: body.enabled ?? true, next_run: '2026-03-10T13:00:00Z' });
      }
      return r.path === '/api/v1/jobs' ? [job('a')] : [];
    });
    const off = await connected(h);
    jobs.start();
    await tick(5);
    const a = jobs.jobs.get('a')!;
    await jobs.update(a, { schedule: { every: '1h' } });
    expect(jobs.jobs.get('a')?.schedule).toEqual({ every: '1h' });
    await expect(jobs.update(a, { schedule: { cron: '61 * * * *' } })).rejects.toMatchObject({
      code: 'invalid',
      message: 'schedule.cron: `61 * * * *` is not a cron expression',
    });
    await jobs.setEnabled(a, false);
    expect(jobs.jobs.get('a')?.enabled).toBe(false);
    const puts = h.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => [r.path, r.body])).toEqual([
      ['/api/v1/jobs/a', { schedule: { every: '1h' } }],
      ['/api/v1/jobs/a', { schedule: { cron: '61 * * * *' } }],
      ['/api/v1/jobs/a', { enabled: false }],
    ]);
    jobs.stop();
    off();
  });

  it('loads the selected job history, reloads it when a run ends, forgets it when removed', async () => {
    let runs = [record('r1')];
    const { h, jobs } = await setup(kind, (r) => {
      if (r.path === '/api/v1/jobs') return [job('a'), job('b')];
      if (r.path === '/api/v1/jobs/a/history') return runs;
      if (r.method === 'DELETE') return null;
      return [];
    });
    const off = await connected(h);
    jobs.start();
    await tick(5);
    jobs.select('a');
    await tick(5);
    expect(jobs.current?.id).toBe('a');
    expect(jobs.history.map((r) => r.id)).toEqual(['r1']);
    runs = [record('r1'), record('r2', 'failed')];
    await h.emit({ kind: 'progress', job: job('a', { state: 'running' }) });
    await tick(5);
    expect(jobs.history).toHaveLength(1);
    await h.emit({ kind: 'failed', job: job('a', { state: 'failed' }) });
    await tick(5);
    expect(jobs.history.map((r) => r.result)).toEqual(['done', 'failed']);
    await h.emit({ kind: 'removed', job: job('a') });
    expect(jobs.selected).toBeNull();
    expect(jobs.history).toEqual([]);
    await jobs.remove(jobs.jobs.get('b')!);
    expect(jobs.list).toEqual([]);
    expect(calls(h).at(-1)).toBe('DELETE /api/v1/jobs/b');
    jobs.stop();
    off();
  });

  it('asks no history of a one-off transfer, and takes a 404 for none', async () => {
    const { h, jobs } = await setup(kind, (r) => {
      if (r.path === '/api/v1/jobs') return [job('o', { kind: 'upload', oneoff: true, state: 'running', can_pause: false }), job('gone')];
      if (r.path === '/api/v1/jobs/gone/history') return new ApiError('not_found', 'No job gone.', 404);
      return [];
    });
    const off = await connected(h);
    jobs.start();
    await tick(5);
    expect(jobs.jobs.get('o')?.oneoff).toBe(true);
    jobs.select('o');
    await tick(5);
    await h.emit({ kind: 'done', job: job('o', { kind: 'upload', oneoff: true, state: 'done' }) });
    await tick(5);
    expect(jobs.history).toEqual([]);
    expect(jobs.historyError).toBeNull();
    expect(jobs.historyLoading).toBe(false);
    jobs.select('gone');
    await tick(5);
    expect(jobs.history).toEqual([]);
    expect(jobs.historyError).toBeNull();
    expect(calls(h).filter((c) => c.includes('/history'))).toEqual(['GET /api/v1/jobs/gone/history']);
    jobs.stop();
    off();
  });

  it('shows why the list cannot load', async () => {
    const { h, jobs } = await setup(kind, (r) =>
      r.path === '/api/v1/jobs' ? new ApiError('internal', 'The job store is unavailable.', 500) : [],
    );
    const off = await connected(h);
    jobs.start();
    await tick(5);
    expect(jobs.error).toBe('The job store is unavailable.');
    expect(jobs.loaded).toBe(false);
    jobs.stop();
    off();
  });
});

describe('Jobs over http', () => {
  it('reloads the list when the event stream reconnects', async () => {
    let n = 0;
    const { h, jobs } = await setup('http', (r) => (r.path === '/api/v1/jobs' ? [job(`j${++n}`)] : []));
    const off = await connected(h);
    jobs.start();
    await tick(5);
    expect(jobs.list.map((j) => j.id)).toEqual(['j1']);
    h.drop();
    await vi.waitFor(() => expect(jobs.list.map((j) => j.id)).toEqual(['j2']), { timeout: 3000 });
    expect(h.streams()).toBe(2);
    jobs.stop();
    off();
  });
});
