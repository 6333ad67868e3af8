import { describe, expect, it } from 'vitest';
import {
  actionsFor,
  applyEvent,
  applyJobs,
  clearable,
  emptyQueue,
  etaOf,
  orderedRows,
  patchRow,
  removeRows,
  rowOfJob,
  smoothRate,
  summarize,
  transferOf,
  upsertJobs,
  upsertRow,
  type QueueRow,
} from './queue';
import type { ApiEvent, Job, JobEvent, Progress } from './types';

function progress(done: number, total: number, rate = 100): Progress {
  return {
    operation: 'upload',
    bytes_done: done,
    bytes_total: total,
    bytes_resumed: 0,
    items_done: 0,
    items_total: 1,
    rate,
    eta: rate ? (total - done) / rate : null,
    elapsed: 1,
    finished: false,
  };
}

/** A job as `GET /api/v1/jobs` sends it. */
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
    state: 'running',
    progress: progress(10, 100),
    error: null,
    run: 'r1',
    trigger: 'added',
    last_run: null,
    next_run: null,
    queued_at: '2024-01-01T00:00:00Z',
    can_pause: true,
    ...patch,
  };
}

/** A backup job: not a transfer. */
const backup = (id: string, patch: Partial<Job> = {}): Job =>
  job(id, { kind: 'backup', name: 'nightly backup', params: { source: '/home', target: 's3://b/backup' }, schedule: { cron: '0 3 * * *', tz: 'Europe/Paris' }, ...patch });

const jobEvent = (kind: JobEvent['kind'], j: Job): ApiEvent => ({ stream: 'job', data: { kind, job: j } });

function local(id: string, patch: Partial<QueueRow> = {}): QueueRow {
  return {
    id,
    source: 'local',
    name: id,
    direction: 'upload',
    state: 'running',
    bytesDone: 0,
    bytesTotal: 10,
    rate: 0,
    eta: null,
    error: null,
    profile: 'p',
    bucket: 'b',
    key: id,
    created: 1,
    ...patch,
  };
}

/** A one-off upload the server runs for a client (another tab, say). */
const oneoff = (id: string, patch: Partial<Job> = {}): Job =>
  job(id, { oneoff: true, can_pause: false, params: { profile: 'p', bucket: 'b', key: `k/${id}` }, ...patch });

describe('server jobs', () => {
  it('become rows with their progress and the object of their params', () => {
    const row = rowOfJob(job('a')) as QueueRow;
    expect(row).toMatchObject({
      id: 'a',
      source: 'job',
      direction: 'upload',
      state: 'running',
      bytesDone: 10,
      bytesTotal: 100,
      rate: 100,
      name: 'k/a',
      profile: 'p',
      bucket: 'b',
      key: 'k/a',
      created: Date.parse('2024-01-01T00:00:00Z'),
    });
    expect(row.eta).toBe(0.9);
    const down = rowOfJob(job('d', { kind: 'download', params: { profile: 'q', bucket: 'c', key: 'x/y.bin', path: '/home/me/Downloads' } }));
    expect(down).toMatchObject({ direction: 'download', profile: 'q', bucket: 'c', key: 'x/y.bin', name: 'x/y.bin' });
  });
  it('tell what a transfer job moves', () => {
    expect(transferOf(job('a'))).toEqual({ direction: 'upload', profile: 'p', bucket: 'b', key: 'k/a', path: '/tmp/a' });
    expect(transferOf(backup('x'))).toBeNull();
    expect(transferOf(job('odd', { params: { profile: 'p' } }))).toBeNull();
  });
  it('of other kinds have no row', () => {
    expect(rowOfJob(backup('x'))).toBeNull();
    // A scheduled transfer is the Jobs page's; the panel shows transfers that run once.
    expect(rowOfJob(job('s', { schedule: { every: '1d' }, state: 'idle' }))).toBeNull();
    let q = applyJobs(emptyQueue, [job('a'), backup('x')]);
    expect([...q.rows.keys()]).toEqual(['a']);
    q = applyEvent(q, jobEvent('started', backup('x')));
    q = applyEvent(q, jobEvent('removed', backup('x')));
    expect([...q.rows.keys()]).toEqual(['a']);
    expect([...upsertJobs(emptyQueue, [backup('x'), job('b')]).rows.keys()]).toEqual(['b']);
  });
  it('show the error of a failed job', () => {
    const row = rowOfJob(job('a', { state: 'failed', error: { code: 'access_denied', message: 'No access.' } })) as QueueRow;
    expect(row.error).toBe('No access.');
    expect(row.rate).toBe(0);
    expect(row.eta).toBeNull();
  });
  it('a done job has all its bytes', () => {
    expect(rowOfJob(job('a', { state: 'done', progress: progress(90, 100) }))?.bytesDone).toBe(100);
  });
  it('an idle job (never run) can be started or forgotten, and is neither active nor finished', () => {
    const row = rowOfJob(job('a', { state: 'idle', progress: null, run: null, trigger: null })) as QueueRow;
    expect(row).toMatchObject({ state: 'idle', bytesDone: 0, rate: 0, eta: null });
    expect(actionsFor(row)).toEqual({ run: true, pause: false, resume: false, cancel: false, retry: false, clear: true });
    const q = applyJobs(emptyQueue, [job('a', { state: 'idle', progress: null }), job('b', { state: 'done' })]);
    expect(summarize(q)).toMatchObject({ active: 0, idle: 1, finished: 1 });
    expect(clearable(q).map((r) => r.id)).toEqual(['b']);
  });
  it('a running job that cannot pause offers cancel only', () => {
    const row = rowOfJob(job('a', { can_pause: false })) as QueueRow;
    expect(actionsFor(row)).toMatchObject({ pause: false, cancel: true });
    expect(actionsFor(rowOfJob(job('a', { can_pause: false, state: 'queued' })) as QueueRow).pause).toBe(true);
  });
  it('the job list replaces job rows and keeps local ones', () => {
    let q = upsertRow(emptyQueue, local('l1'));
    q = applyJobs(q, [job('a'), job('b')]);
    q = applyJobs(q, [job('b')]);
    expect([...q.rows.keys()].sort()).toEqual(['b', 'l1']);
  });
  it('job events add and update rows; progress survives an event without it', () => {
    let q = applyEvent(emptyQueue, jobEvent('queued', job('a', { state: 'queued', progress: null })));
    expect(q.rows.get('a')).toMatchObject({ state: 'queued', bytesDone: 0 });
    q = applyEvent(q, jobEvent('progress', job('a')));
    expect(q.rows.get('a')).toMatchObject({ state: 'running', bytesDone: 10, bytesTotal: 100 });
    q = applyEvent(q, jobEvent('paused', job('a', { state: 'paused', progress: null })));
    expect(q.rows.get('a')).toMatchObject({ state: 'paused', bytesDone: 10, rate: 0 });
  });
  it('a removed event drops the row; an unknown one changes nothing', () => {
    let q = upsertRow(applyJobs(emptyQueue, [job('a'), job('b')]), local('l1'));
    q = applyEvent(q, jobEvent('removed', job('a', { state: 'done' })));
    expect([...q.rows.keys()].sort()).toEqual(['b', 'l1']);
    expect(applyEvent(q, jobEvent('removed', job('zz')))).toBe(q);
  });
  it('a changed event of an idle job adds it idle', () => {
    const q = applyEvent(emptyQueue, jobEvent('changed', job('a', { state: 'idle', progress: null })));
    expect(q.rows.get('a')?.state).toBe('idle');
  });
});

describe('one-off jobs', () => {
  it('become job rows that offer cancel while active and clear once finished, nothing else', () => {
    let q = applyEvent(emptyQueue, jobEvent('queued', oneoff('o1', { state: 'queued', progress: null })));
    expect(q.rows.get('o1')).toMatchObject({ source: 'job', oneoff: true, state: 'queued', key: 'k/o1', direction: 'upload' });
    expect(actionsFor(q.rows.get('o1') as QueueRow)).toEqual({ run: false, pause: false, resume: false, cancel: true, retry: false, clear: false });
    q = applyEvent(q, jobEvent('progress', oneoff('o1', { progress: progress(30, 60) })));
    const running = q.rows.get('o1') as QueueRow;
    expect(running).toMatchObject({ state: 'running', bytesDone: 30, bytesTotal: 60 });
    expect(actionsFor(running)).toEqual({ run: false, pause: false, resume: false, cancel: true, retry: false, clear: false });
    for (const state of ['failed', 'canceled', 'done'] as const) {
      const row = rowOfJob(oneoff('o1', { state, error: state === 'failed' ? { code: 'network', message: 'It broke.' } : null })) as QueueRow;
      expect(actionsFor(row)).toEqual({ run: false, pause: false, resume: false, cancel: false, retry: false, clear: true });
    }
    q = applyEvent(q, jobEvent('failed', oneoff('o1', { state: 'failed', progress: null, error: { code: 'network', message: 'It broke.' } })));
    expect(q.rows.get('o1')).toMatchObject({ state: 'failed', error: 'It broke.', bytesDone: 30, rate: 0 });
    q = applyEvent(q, jobEvent('removed', oneoff('o1', { state: 'failed' })));
    expect(q.rows.size).toBe(0);
  });
  it('come with the job list too, a download as well', () => {
    const q = applyJobs(emptyQueue, [oneoff('o1'), oneoff('o2', { kind: 'download', state: 'done', params: { profile: 'p', bucket: 'b', key: 'x.bin', path: '/srv/x.bin' } })]);
    expect(orderedRows(q).map((r) => [r.id, r.direction, r.oneoff, r.state])).toEqual([
      ['o1', 'upload', true, 'running'],
      ['o2', 'download', true, 'done'],
    ]);
  });
  it('ordinary jobs are not one-off', () => {
    expect(rowOfJob(job('a'))?.oneoff).toBe(false);
    expect(actionsFor(rowOfJob(job('a', { state: 'failed' })) as QueueRow).retry).toBe(true);
  });
  it('with the id of a local row are this browser’s own upload: ignored, running or finished', () => {
    let q = upsertRow(emptyQueue, local('local-1', { bytesDone: 4 }));
    q = applyEvent(q, jobEvent('started', oneoff('local-1', { progress: null })));
    q = applyEvent(q, jobEvent('progress', oneoff('local-1', { progress: progress(9, 10) })));
    expect(q.rows.get('local-1')).toMatchObject({ source: 'local', state: 'running', bytesDone: 4, bytesTotal: 10 });
    q = patchRow(q, 'local-1', { state: 'paused' });
    // The pause aborted the upload: the server says it failed; the row stays paused.
    q = applyEvent(q, jobEvent('failed', oneoff('local-1', { state: 'failed', error: { code: 'network', message: 'It broke.' } })));
    expect(q.rows.get('local-1')).toMatchObject({ source: 'local', state: 'paused', error: null });
    q = applyEvent(q, jobEvent('removed', oneoff('local-1', { state: 'failed' })));
    expect([...q.rows.keys()]).toEqual(['local-1']);
    // Neither the job list nor an action's answer replaces it.
    q = applyJobs(q, [oneoff('local-1', { state: 'done' }), oneoff('o2')]);
    q = upsertJobs(q, [oneoff('local-1', { state: 'canceled' })]);
    expect(orderedRows(q).map((r) => [r.id, r.source, r.state])).toEqual([
      ['local-1', 'local', 'paused'],
      ['o2', 'job', 'running'],
    ]);
  });
  it('that are scheduled or not transfers have no row, like other jobs', () => {
    expect(rowOfJob(oneoff('s', { schedule: { every: '1d' } }))).toBeNull();
    expect(rowOfJob(oneoff('x', { kind: 'backup' }))).toBeNull();
  });
});

describe('actions', () => {
  it('depend on the state', () => {
    expect(actionsFor(local('a', { state: 'running' }))).toEqual({ run: false, pause: true, resume: false, cancel: true, retry: false, clear: false });
    expect(actionsFor(local('a', { state: 'queued' }))).toEqual({ run: false, pause: true, resume: false, cancel: true, retry: false, clear: false });
    expect(actionsFor(local('a', { state: 'paused' }))).toEqual({ run: false, pause: false, resume: true, cancel: true, retry: false, clear: false });
    expect(actionsFor(local('a', { state: 'failed' }))).toEqual({ run: false, pause: false, resume: false, cancel: false, retry: true, clear: true });
    expect(actionsFor(local('a', { state: 'canceled' }))).toEqual({ run: false, pause: false, resume: false, cancel: false, retry: true, clear: true });
    expect(actionsFor(local('a', { state: 'done' }))).toEqual({ run: false, pause: false, resume: false, cancel: false, retry: false, clear: true });
  });
  it('"clear finished" takes done and canceled rows, not failed ones', () => {
    let q = upsertRow(emptyQueue, local('a', { state: 'done' }));
    q = upsertRow(q, local('b', { state: 'failed' }));
    q = upsertRow(q, local('c', { state: 'canceled' }));
    q = upsertRow(q, local('d', { state: 'running' }));
    expect(clearable(q).map((r) => r.id).sort()).toEqual(['a', 'c']);
    expect([...removeRows(q, ['a', 'c']).rows.keys()].sort()).toEqual(['b', 'd']);
  });
});

describe('summary and order', () => {
  it('counts active rows and adds running rates', () => {
    let q = upsertRow(emptyQueue, local('a', { rate: 10, bytesDone: 5, bytesTotal: 10 }));
    q = upsertRow(q, local('b', { state: 'paused', rate: 99 }));
    q = upsertRow(q, local('c', { state: 'failed' }));
    expect(summarize(q)).toEqual({ active: 2, idle: 0, failed: 1, finished: 1, rate: 10, bytesDone: 5, bytesTotal: 20 });
  });
  it('orders rows by creation', () => {
    let q = upsertRow(emptyQueue, local('late', { created: 3 }));
    q = upsertRow(q, local('early', { created: 1 }));
    expect(orderedRows(q).map((r) => r.id)).toEqual(['early', 'late']);
  });
  it('patching a missing row changes nothing', () => {
    expect(patchRow(emptyQueue, 'nope', { state: 'done' })).toBe(emptyQueue);
  });
});

describe('rate and ETA', () => {
  it('smooths the rate', () => {
    expect(smoothRate(0, 1000, 1)).toBe(1000);
    expect(smoothRate(1000, 2000, 1)).toBe(1300);
    expect(smoothRate(500, 10, 0)).toBe(500);
  });
  it('estimates the time left', () => {
    expect(etaOf(50, 100, 10)).toBe(5);
    expect(etaOf(100, 100, 10)).toBeNull();
    expect(etaOf(0, 100, 0)).toBeNull();
  });
});
