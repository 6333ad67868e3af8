// The transfers model against a fake transport: the job bodies it sends, the rows the
// job list and the event stream make, and the row actions.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { setToken } from './auth';
import { JOB_ID_HEADER } from './browser-upload';
import { onChanged, type Change } from './changes';
import { ApiError } from './errors';
import { isJobId } from './local-runner';
import { actionsFor } from './queue';
import type { EventHandlers, JsonRequest, Transport } from './transport';
import type { ApiEvent, Job } from './types';

beforeAll(() => {
  // The Tauri mocks (native dialogs) expect a browser `window`.
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(async () => {
  vi.unstubAllGlobals();
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

/** A one-off upload the server runs for another client (another tab, say). */
const oneoff = (id: string, patch: Partial<Job> = {}): Job =>
  job(id, { oneoff: true, can_pause: false, params: { profile: 'p', bucket: 'b', key: `k/${id}` }, ...patch });

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
    const answer = this.answer(request);
    if (answer instanceof ApiError) throw answer;
    return answer as T;
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
    // Another client's upload: a one-off job, done (the listing reloads for it too).
    transport.emit({ stream: 'job', data: { kind: 'done', job: oneoff('o9', { state: 'done' }) } });
    expect(changes).toHaveLength(2);
    expect(transfers.rows.map((r) => [r.id, r.oneoff])).toEqual([
      ['a', false],
      ['o9', true],
    ]);
    transport.emit({ stream: 'job', data: { kind: 'removed', job: job('a', { state: 'done' }) } });
    expect(transfers.rows.map((r) => r.id)).toEqual(['o9']);
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

  it('plans dropped paths, then creates their jobs with no_rules when the rules are skipped (desktop)', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    mockIPC((cmd) => (cmd === 'path_kinds' ? ['dir', 'file'] : null));
    let n = 0;
    const { transport, transfers } = await setup('tauri', (r) => {
      if (r.method === 'POST' && r.path === '/api/v1/jobs') {
        const body = r.body as { kind: 'upload'; params: Job['params'] };
        return job(`j${++n}`, { kind: body.kind, params: body.params });
      }
      return null;
    });
    const target = { profile: 'p', bucket: 'b', prefix: 'site/' };
    const planned = await transfers.planPaths(target, ['/home/me/assets/', '/home/me/app.css']);
    expect(planned).toEqual([
      { path: '/home/me/assets/', name: 'assets', folder: true, key: 'site/assets/' },
      { path: '/home/me/app.css', name: 'app.css', folder: false, key: 'site/app.css' },
    ]);
    expect(transport.requests).toEqual([]);
    await transfers.uploadPlanned(target, planned, { noRules: true });
    await transfers.uploadPlanned(target, planned.slice(1));
    expect(transport.requests.map((r) => r.body)).toEqual([
      { kind: 'upload', params: { profile: 'p', bucket: 'b', key: 'site/assets/', path: '/home/me/assets/', no_rules: true } },
      { kind: 'upload', params: { profile: 'p', bucket: 'b', key: 'site/app.css', path: '/home/me/app.css', no_rules: true } },
      { kind: 'upload', params: { profile: 'p', bucket: 'b', key: 'site/app.css', path: '/home/me/app.css' } },
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
  it('shows one-off jobs of other clients with cancel and clear only, on the job routes', async () => {
    const { transport, transfers } = await setup('http', (r) => {
      if (r.path === '/api/v1/jobs') return [oneoff('o1', { state: 'running' }), job('a', { state: 'running' })];
      if (r.path === '/api/v1/jobs/o1/cancel') return oneoff('o1', { state: 'canceled' });
      if (r.path === '/api/v1/jobs/pause-all') return [job('a', { state: 'paused' })];
      return null;
    });
    transfers.start();
    await tick();
    const o1 = transfers.rows.find((r) => r.id === 'o1')!;
    expect(o1).toMatchObject({ source: 'job', oneoff: true, state: 'running', key: 'k/o1' });
    expect(actionsFor(o1)).toEqual({ run: false, pause: false, resume: false, cancel: true, retry: false, clear: false });
    await transfers.act(o1, 'cancel');
    const canceled = transfers.rows.find((r) => r.id === 'o1')!;
    expect(canceled.state).toBe('canceled');
    expect(actionsFor(canceled)).toEqual({ run: false, pause: false, resume: false, cancel: false, retry: false, clear: true });
    await transfers.clearFinished();
    await transfers.pauseAll();
    expect(transport.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/jobs',
      'POST /api/v1/jobs/o1/cancel',
      'DELETE /api/v1/jobs/o1',
      'POST /api/v1/jobs/pause-all',
    ]);
    expect(transfers.rows.map((r) => [r.id, r.state])).toEqual([['a', 'paused']]);
    transfers.stop();
  });

  it('pause all leaves the server alone when its only jobs are one-off ones', async () => {
    const { transport, transfers } = await setup('http', (r) => (r.path === '/api/v1/jobs' ? [oneoff('o1')] : null));
    transfers.start();
    await tick();
    await transfers.pauseAll();
    await transfers.resumeAll();
    expect(transport.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/jobs']);
    transfers.stop();
  });
});

/** An XMLHttpRequest the test answers. */
class FakeXhr {
  static sent: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  statusText = '';
  responseText = '';
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  send(body: unknown) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  abort() {
    this.onabort?.();
  }
  respond(status: number) {
    this.status = status;
    this.onload?.();
  }
}

describe('Browser uploads', () => {
  function browser() {
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
      removeItem: (k: string) => store.delete(k),
    });
    setToken('t');
    FakeXhr.sent = [];
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  }

  it('name the server’s one-off job with the row’s id, whose events and listing are this row’s', async () => {
    browser();
    let listed: Job[] = [];
    const { transport, transfers } = await setup('http', (r) => {
      if (r.path === '/api/v1/jobs') return listed;
      if (r.method === 'DELETE') return null;
      return null;
    });
    transfers.start();
    await tick();
    const changes: Change[] = [];
    const off = onChanged((c) => changes.push(c));
    transfers.uploadFiles({ profile: 'p', bucket: 'b', prefix: 'in/' }, [
      { file: new File(['hello'], 'a.txt', { type: 'text/plain' }), relativePath: 'a.txt' },
      { file: new File(['world!'], 'b.txt'), relativePath: 'b.txt' },
    ]);
    await tick();
    const rows = transfers.rows;
    expect(rows.map((r) => [r.source, r.key, r.state])).toEqual([
      ['local', 'in/a.txt', 'running'],
      ['local', 'in/b.txt', 'running'],
    ]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
    for (const row of rows) expect(isJobId(row.id)).toBe(true);
    expect(FakeXhr.sent.map((x) => [x.method, x.url, x.headers[JOB_ID_HEADER], x.headers['content-type']])).toEqual([
      ['PUT', '/api/v1/profiles/p/buckets/b/object?key=in%2Fa.txt', rows[0].id, 'text/plain'],
      ['PUT', '/api/v1/profiles/p/buckets/b/object?key=in%2Fb.txt', rows[1].id, 'application/octet-stream'],
    ]);
    expect(JOB_ID_HEADER).toBe('x-coffer-job-id');
    const [a] = rows;

    // The server's events about that job: this tab's runner counts the bytes, not them.
    const progress = { operation: 'upload', bytes_done: 4, bytes_total: 5, bytes_resumed: 0, items_done: 0, items_total: 1, rate: 5, eta: 1, elapsed: 1, finished: false };
    const mine = (patch: Partial<Job>) => oneoff(a.id, { params: { profile: 'p', bucket: 'b', key: 'in/a.txt' }, ...patch });
    transport.emit({ stream: 'job', data: { kind: 'started', job: mine({ state: 'running' }) } });
    transport.emit({ stream: 'job', data: { kind: 'progress', job: mine({ state: 'running', progress }) } });
    expect(transfers.rows[0]).toMatchObject({ id: a.id, source: 'local', state: 'running', bytesDone: 0 });
    FakeXhr.sent[0].respond(200);
    await tick();
    transport.emit({ stream: 'job', data: { kind: 'done', job: mine({ state: 'done', progress: { ...progress, bytes_done: 5 } }) } });
    expect(transfers.rows[0]).toMatchObject({ id: a.id, source: 'local', state: 'done', bytesDone: 5 });
    // The runner told the listing once; the job's done event adds nothing.
    expect(changes).toEqual([{ profile: 'p', bucket: 'b', key: 'in/a.txt' }]);
    expect(transfers.rows).toHaveLength(2);

    // A reload lists it: still the local row.
    listed = [mine({ state: 'done' })];
    await transfers.reloadJobs();
    expect(transfers.rows.map((r) => [r.id, r.source])).toEqual([
      [a.id, 'local'],
      [rows[1].id, 'local'],
    ]);

    // Clearing it removes the server's job too; it does not come back.
    await transfers.act(transfers.rows[0], 'clear');
    expect(transport.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/api/v1/jobs/${a.id}`]);
    expect(transfers.rows.map((r) => r.id)).toEqual([rows[1].id]);
    await transfers.reloadJobs();
    transport.emit({ stream: 'job', data: { kind: 'done', job: mine({ state: 'done' }) } });
    expect(transfers.rows.map((r) => r.id)).toEqual([rows[1].id]);
    transport.emit({ stream: 'job', data: { kind: 'removed', job: mine({ state: 'done' }) } });
    expect(transfers.rows.map((r) => r.id)).toEqual([rows[1].id]);
    off();
    transfers.stop();
  });

  it('adds no_rules=true to the PUT when the rules are skipped', async () => {
    browser();
    const { transfers } = await setup('http', (r) => (r.path === '/api/v1/jobs' ? [] : null));
    const file = (name: string) => ({ file: new File(['x'], name), relativePath: `css/${name}` });
    transfers.uploadFiles({ profile: 'p', bucket: 'b', prefix: 'site/' }, [file('a b.css')], { noRules: true });
    transfers.uploadFiles({ profile: 'p', bucket: 'b', prefix: 'site/' }, [file('c.css')]);
    await tick();
    expect(FakeXhr.sent.map((x) => x.url)).toEqual([
      '/api/v1/profiles/p/buckets/b/object?key=site%2Fcss%2Fa%20b.css&no_rules=true',
      '/api/v1/profiles/p/buckets/b/object?key=site%2Fcss%2Fc.css',
    ]);
  });

  it('resume sends the same job id again; a failed DELETE on clear stays quiet', async () => {
    browser();
    const { transport, transfers } = await setup('http', (r) => {
      if (r.path === '/api/v1/jobs') return [];
      if (r.method === 'DELETE') return new ApiError('not_found', 'No such job.', 404);
      return null;
    });
    transfers.start();
    await tick();
    transfers.uploadFiles({ profile: 'p', bucket: 'b', prefix: '' }, [{ file: new File(['x'], 'x.bin'), relativePath: 'x.bin' }]);
    await tick();
    const [row] = transfers.rows;
    await transfers.act(row, 'pause');
    await tick();
    expect(transfers.rows[0].state).toBe('paused');
    await transfers.act(transfers.rows[0], 'resume');
    await tick();
    expect(FakeXhr.sent.map((x) => x.headers[JOB_ID_HEADER])).toEqual([row.id, row.id]);
    FakeXhr.sent[1].respond(500);
    await tick();
    expect(transfers.rows[0].state).toBe('failed');
    await transfers.act(transfers.rows[0], 'clear');
    await tick();
    expect(transfers.rows).toEqual([]);
    expect(transport.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/jobs', `DELETE /api/v1/jobs/${row.id}`]);
    transfers.stop();
  });
});
