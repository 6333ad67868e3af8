// The replication page's state over a transport whose other end the test plays: the
// list polled while active and the window visible (not while hidden, not after stop),
// job events applied at once, drills in flight and their reports, actions and removal.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { ApiError } from './errors';
import type { DrillReport, ReplicationJob } from './replication';
import { Replication } from './replication.svelte';
import type { EventHandlers, JsonRequest, Transport } from './transport';
import type { Job, JobEvent } from './types';

type Answer = (r: JsonRequest) => unknown;

class FakeTransport implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  private handlers = new Set<EventHandlers>();
  constructor(private readonly answer: Answer) {}
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    const a = await this.answer(request);
    if (a instanceof ApiError) throw a;
    return (a ?? null) as T;
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(handlers: EventHandlers): () => void {
    this.handlers.add(handlers);
    return () => this.handlers.delete(handlers);
  }
  get subscribers(): number {
    return this.handlers.size;
  }
  emit(data: JobEvent): void {
    for (const h of this.handlers) h.onEvent({ stream: 'job', data });
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds (a busy machine may run timers late). */
async function until(ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await tick(5);
  }
}

function later<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function job(patch: Partial<Job> = {}): Job {
  return {
    id: 'r1',
    kind: 'replicate',
    name: 'replication of app.db',
    params: {},
    schedule: null,
    enabled: true,
    notify: { on_failure: true, on_success: false },
    webhook: null,
    created: '2026-03-01T00:00:00Z',
    state: 'running',
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

function repl(patch: Partial<Job> = {}): ReplicationJob {
  return {
    job: job(patch),
    params: {
      db: '/data/app.db',
      name: null,
      replicas: [{ profile: 'garage', url: 's3://b/dbs' }],
      interval_ms: 1000,
      snapshot_every_s: 86400,
      retain_s: 604800,
      drill_every_s: 86400,
      lag_alert_s: 60,
    },
    live: true,
    status: null,
  };
}

const report: DrillReport = {
  replica: 'garage:s3://b/dbs',
  at_ms: 1,
  ok: true,
  txid: 42,
  age_ms: 1200,
  objects: 3,
  bytes: 12345,
  db_bytes: 1048576,
  took_ms: 350,
  checksum_verified: true,
  error: null,
};

const lists = (t: FakeTransport) => t.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/replication').length;

function setup(answer: Answer = () => null, list: () => ReplicationJob[] = () => [repl()]) {
  const t = new FakeTransport((r) => (r.method === 'GET' && r.path === '/api/v1/replication' ? list() : answer(r)));
  const replication = new Replication(new CofferApi(t), { interval: 20, remove: { every: 1 } });
  return { t, replication };
}

/** A `document` whose visibility the test sets. */
function fakeDocument() {
  const listeners = new Set<() => void>();
  const doc = {
    visibilityState: 'visible' as 'visible' | 'hidden',
    addEventListener: (_: string, f: () => void) => listeners.add(f),
    removeEventListener: (_: string, f: () => void) => listeners.delete(f),
  };
  vi.stubGlobal('document', doc);
  return {
    listeners,
    set(state: 'visible' | 'hidden') {
      doc.visibilityState = state;
      for (const f of listeners) f();
    },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Replication', () => {
  it('loads the list and polls it until stopped', async () => {
    const { t, replication } = setup();
    replication.start();
    await tick();
    expect(replication.loaded).toBe(true);
    expect(replication.list.map((r) => r.job.id)).toEqual(['r1']);
    expect(t.subscribers).toBe(1);
    await until(() => lists(t) >= 3);
    replication.stop();
    const polled = lists(t);
    expect(t.subscribers).toBe(0);
    await tick(60);
    expect(lists(t)).toBe(polled);
  });

  it('does not poll while the window is hidden, and loads again when it shows', async () => {
    const doc = fakeDocument();
    const { t, replication } = setup();
    replication.start();
    await tick();
    doc.set('hidden');
    const before = lists(t);
    await tick(70);
    expect(lists(t)).toBe(before);
    doc.set('visible');
    expect(lists(t)).toBe(before + 1);
    await until(() => lists(t) > before + 1);
    replication.stop();
    expect(doc.listeners.size).toBe(0);
  });

  it('keeps one poll going however often it is started', async () => {
    const { t, replication } = setup();
    replication.start();
    replication.start();
    void replication.poll();
    await tick(50);
    replication.stop();
    // 50 ms at 20 ms: about three loads, not three times as many.
    expect(lists(t)).toBeLessThanOrEqual(5);
  });

  it('keeps the last list and says why when a poll fails', async () => {
    let fail = false;
    const { replication } = setup(
      () => null,
      () => {
        if (fail) throw new ApiError('network', 'Cannot reach the Coffer API');
        return [repl()];
      },
    );
    await replication.reload();
    fail = true;
    await replication.reload();
    expect(replication.error).toBe('Cannot reach the Coffer API');
    expect(replication.list).toHaveLength(1);
    fail = false;
    await replication.reload();
    expect(replication.error).toBeNull();
  });

  it('applies job events at once: a state, a removal, a new job (a reload)', async () => {
    const { t, replication } = setup();
    replication.start();
    await tick();
    t.emit({ kind: 'paused', job: job({ state: 'paused' }) });
    expect(replication.find('r1')?.job.state).toBe('paused');
    const before = lists(t);
    t.emit({ kind: 'queued', job: job({ id: 'r2' }) });
    expect(lists(t)).toBe(before + 1);
    t.emit({ kind: 'removed', job: job() });
    expect(replication.find('r1')).toBeNull();
    replication.stop();
  });

  it('pauses and resumes, and shows the answer', async () => {
    let state: Job['state'] = 'running';
    const { t, replication } = setup(
      (r) => {
        if (r.path === '/api/v1/jobs/r1/pause') state = 'paused';
        if (r.path === '/api/v1/jobs/r1/resume') state = 'running';
        return job({ state });
      },
      () => [repl({ state })],
    );
    await replication.reload();
    await replication.act(replication.list[0].job, 'pause');
    expect(replication.find('r1')?.job.state).toBe('paused');
    await replication.act(replication.list[0].job, 'resume');
    await tick();
    expect(replication.find('r1')?.job.state).toBe('running');
    expect(t.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/api/v1/jobs/r1/pause', '/api/v1/jobs/r1/resume']);
  });

  it('says why an action failed (a toast), and keeps the job as it was', async () => {
    const { replication } = setup((r) => (r.path.endsWith('/pause') ? new ApiError('conflict', 'a queued job cannot pause', 409) : null));
    const { toasts } = await import('./toasts.svelte');
    await replication.reload();
    await replication.act(replication.list[0].job, 'pause');
    expect(replication.find('r1')?.job.state).toBe('running');
    expect(toasts.items.at(-1)?.text).toBe('Cannot pause replication of app.db: a queued job cannot pause');
  });

  it('drills: in flight, then the reports by the job; or the error', async () => {
    const answer = later<DrillReport[] | ApiError>();
    const { replication } = setup((r) => (r.path === '/api/v1/replication/r1/drill' ? answer.promise : null));
    const drilling = replication.drill('r1');
    expect(replication.drilling.has('r1')).toBe(true);
    void replication.drill('r1');
    answer.resolve([report]);
    await drilling;
    expect(replication.drilling.has('r1')).toBe(false);
    expect(replication.drills.get('r1')).toEqual([report]);

    const failing = setup((r) => (r.path.endsWith('/drill') ? new ApiError('bad_request', 'no such profile') : null));
    await failing.replication.drill('r1');
    expect(failing.replication.drillErrors.get('r1')).toBe('no such profile');
    expect(failing.replication.drilling.size).toBe(0);
  });

  it('removes: cancel, wait, delete, and the card goes', async () => {
    let state: Job['state'] = 'running';
    let gets = 0;
    const { t, replication } = setup(
      (r) => {
        if (r.path === '/api/v1/jobs/r1/cancel') return job({ state });
        if (r.path === '/api/v1/jobs/r1' && r.method === 'GET') {
          if (++gets === 2) state = 'canceled';
          return job({ state });
        }
        return null;
      },
      () => (state === 'running' ? [repl()] : []),
    );
    await replication.reload();
    await replication.remove(replication.list[0].job);
    expect(replication.list).toEqual([]);
    expect(t.requests.filter((r) => r.path.startsWith('/api/v1/jobs')).map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/jobs/r1/cancel',
      'GET /api/v1/jobs/r1',
      'GET /api/v1/jobs/r1',
      'DELETE /api/v1/jobs/r1',
    ]);
  });

  it('adds a job and loads the list again', async () => {
    const { t, replication } = setup((r) => (r.path === '/api/v1/jobs' && r.method === 'POST' ? job({ id: 'r9' }) : null));
    const created = await replication.create({ kind: 'replicate', params: repl().params });
    expect(created.id).toBe('r9');
    expect(t.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v1/jobs', 'GET /api/v1/replication']);
  });
});
