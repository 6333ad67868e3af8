import { describe, expect, it } from 'vitest';
import {
  applyJobEvent,
  draftOf,
  errorField,
  filterByKind,
  formatDuration,
  hasHistory,
  isEditable,
  jobActions,
  jobPercent,
  jobsFromList,
  kindOptions,
  lastRunOf,
  mergeList,
  newestFirst,
  nextRunOf,
  nextRunText,
  noJobs,
  orderedJobs,
  paramEntries,
  relativeTime,
  removeJob,
  runChart,
  runDuration,
  scheduleEdit,
  scheduleText,
  stateText,
  upsertJob,
} from './jobs';
import type { Job, JobState, Progress, RunRecord } from './types';

const NOW = Date.parse('2026-03-10T12:00:00Z');

function job(id: string, patch: Partial<Job> = {}): Job {
  return {
    id,
    kind: 'backup',
    name: `job ${id}`,
    params: { source: '/home', target: 's3://b/p/' },
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

function run(id: string, patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    job: 'a',
    trigger: 'schedule',
    started: '2026-03-10T03:00:00Z',
    ended: '2026-03-10T03:01:30Z',
    result: 'done',
    bytes: 1024,
    items: 3,
    error: null,
    ...patch,
  };
}

function progress(done: number, total: number, items = [0, 0]): Progress {
  return {
    operation: 'backup',
    bytes_done: done,
    bytes_total: total,
    bytes_resumed: 0,
    items_done: items[0],
    items_total: items[1],
    rate: 1,
    eta: null,
    elapsed: 1,
    finished: false,
  };
}

describe('the job list', () => {
  it('follows events: upsert by id, removed drops the row', () => {
    let jobs = jobsFromList([job('a'), job('b')]);
    jobs = applyJobEvent(jobs, { kind: 'started', job: job('a', { state: 'running' }) });
    expect(jobs.get('a')?.state).toBe('running');
    jobs = applyJobEvent(jobs, { kind: 'queued', job: job('c', { state: 'queued' }) });
    expect([...jobs.keys()]).toEqual(['a', 'b', 'c']);
    jobs = applyJobEvent(jobs, { kind: 'removed', job: job('b') });
    expect([...jobs.keys()]).toEqual(['a', 'c']);
    // Removing what is not there changes nothing (same map).
    expect(applyJobEvent(jobs, { kind: 'removed', job: job('zz') })).toBe(jobs);
  });

  it('never changes the map it is given', () => {
    const before = jobsFromList([job('a')]);
    upsertJob(before, job('a', { state: 'done' }));
    removeJob(before, 'a');
    expect(before.get('a')?.state).toBe('idle');
    expect(noJobs.size).toBe(0);
  });

  it('merges a list answered while events came: the events win for the jobs they touched', () => {
    // While the list loaded: `a` finished, `b` was removed, `d` was added.
    let current = jobsFromList([job('a', { state: 'running' }), job('b')]);
    current = applyJobEvent(current, { kind: 'done', job: job('a', { state: 'done' }) });
    current = applyJobEvent(current, { kind: 'removed', job: job('b') });
    current = applyJobEvent(current, { kind: 'queued', job: job('d', { state: 'queued' }) });
    const listed = [job('a', { state: 'running' }), job('b'), job('c')];
    const merged = mergeList(listed, current, new Set(['a', 'b', 'd']));
    expect(orderedJobs(merged).map((j) => [j.id, j.state])).toEqual([
      ['a', 'done'],
      ['c', 'idle'],
      ['d', 'queued'],
    ]);
    // Without events, the list is the truth (jobs it lacks are gone).
    expect([...mergeList([job('c')], current, new Set()).keys()]).toEqual(['c']);
  });

  it('orders oldest first, then by id', () => {
    const jobs = jobsFromList([
      job('z', { created: '2026-03-02T00:00:00Z' }),
      job('b', { created: '2026-03-01T00:00:00Z' }),
      job('a', { created: '2026-03-01T00:00:00Z' }),
    ]);
    expect(orderedJobs(jobs).map((j) => j.id)).toEqual(['a', 'b', 'z']);
  });

  it('filters by kind, offering the server kinds and those of the jobs', () => {
    const list = [job('a', { kind: 'upload' }), job('b'), job('c', { kind: 'mirror' })];
    expect(kindOptions(['upload', 'download', 'backup'], list)).toEqual(['backup', 'download', 'mirror', 'upload']);
    expect(filterByKind(list, 'upload').map((j) => j.id)).toEqual(['a']);
    expect(filterByKind(list, '').map((j) => j.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('words', () => {
  it('describes schedules', () => {
    expect(scheduleText({ every: '1h' })).toBe('every 1h');
    expect(scheduleText({ cron: '0 3 * * *', tz: 'Europe/Paris' })).toBe('cron 0 3 * * * (Europe/Paris)');
    expect(scheduleText({ cron: '*/5 * * * *' })).toBe('cron */5 * * * * (UTC)');
    expect(scheduleText(null)).toBe('—');
  });

  it('shows progress while running, by bytes or else by items', () => {
    expect(stateText(job('a', { state: 'running', progress: progress(42, 100) }))).toBe('Running 42%');
    expect(stateText(job('a', { state: 'running', progress: progress(0, 0, [1, 4]) }))).toBe('Running 25%');
    expect(stateText(job('a', { state: 'running', progress: null }))).toBe('Running');
    expect(stateText(job('a', { state: 'paused', progress: progress(42, 100) }))).toBe('Paused');
    expect(jobPercent(job('a', { progress: progress(0, 0) }))).toBeNull();
  });

  it('tells times relative to now', () => {
    const at = (secs: number) => new Date(NOW + secs * 1000).toISOString();
    expect(relativeTime(at(-10), NOW)).toBe('just now');
    expect(relativeTime(at(10), NOW)).toBe('in a moment');
    expect(relativeTime(at(-5 * 60), NOW)).toBe('5 min ago');
    expect(relativeTime(at(3 * 3600), NOW)).toBe('in 3 h');
    expect(relativeTime(at(-3 * 86400), NOW)).toBe('3 d ago');
    expect(relativeTime('not a date', NOW)).toBe('');
    expect(relativeTime(null, NOW)).toBe('');
  });

  it('sums up the last run: its result and when it ended', () => {
    expect(lastRunOf(job('a'), NOW)).toBeNull();
    const last = lastRunOf(job('a', { last_run: run('r', { ended: '2026-03-10T11:55:00Z', result: 'failed' }) }), NOW);
    expect(last).toMatchObject({ result: 'failed', text: 'Failed · 5 min ago' });
    const running = lastRunOf(job('a', { last_run: run('r', { started: '2026-03-10T10:00:00Z', ended: null, result: 'running' }) }), NOW);
    expect(running?.text).toBe('Running · 2 h ago');
  });

  it('says when it runs next: disabled, a time, or a dash', () => {
    expect(nextRunText(job('a', { enabled: false, next_run: '2026-03-11T03:00:00Z' }), NOW)).toBe('disabled');
    expect(nextRunText(job('a'), NOW)).toBe('—');
    expect(nextRunText(job('a', { next_run: 'garbage' }), NOW)).toBe('—');
    expect(nextRunText(job('a', { next_run: '2026-03-10T15:00:00Z' }), NOW)).toMatch(/^2026-03-1\d \d\d:00 \(in 3 h\)$/);
    expect(nextRunOf(job('a', { next_run: '2026-03-10T15:00:00Z' }), NOW)).toMatchObject({ text: 'in 3 h', title: expect.stringMatching(/:00$/) });
    expect(nextRunOf(job('a', { enabled: false, next_run: '2026-03-10T15:00:00Z' }), NOW).text).toBe('disabled');
    expect(nextRunOf(job('a'), NOW)).toEqual({ text: '—', title: '' });
  });

  it('lists params as text', () => {
    expect(paramEntries({ source: '/home', exclude: ['*.tmp'], depth: 2 })).toEqual([
      ['source', '/home'],
      ['exclude', '["*.tmp"]'],
      ['depth', '2'],
    ]);
    expect(paramEntries(null)).toEqual([]);
  });
});

describe('jobActions', () => {
  const on = (state: JobState, canPause = true) => {
    const can = jobActions(job('a', { state, can_pause: canPause }));
    return Object.entries(can)
      .filter(([, v]) => v)
      .map(([k]) => k)
      .sort();
  };

  it('enables the buttons the state allows', () => {
    expect(on('idle')).toEqual(['remove', 'run']);
    expect(on('queued')).toEqual(['cancel', 'pause']);
    expect(on('running')).toEqual(['cancel', 'pause']);
    expect(on('paused')).toEqual(['cancel', 'remove', 'resume']);
    expect(on('done')).toEqual(['remove', 'run']);
    expect(on('failed')).toEqual(['remove', 'retry', 'run']);
    expect(on('canceled')).toEqual(['remove', 'retry', 'run']);
  });

  it('offers no pause to a job that cannot pause', () => {
    expect(on('running', false)).toEqual(['cancel']);
    expect(on('queued', false)).toEqual(['cancel']);
  });

  it('offers a one-off transfer only cancel while active and remove once ended', () => {
    const oneoff = (state: JobState) =>
      Object.entries(jobActions(job('o', { kind: 'upload', oneoff: true, can_pause: false, state })))
        .filter(([, v]) => v)
        .map(([k]) => k)
        .sort();
    expect(oneoff('queued')).toEqual(['cancel']);
    expect(oneoff('running')).toEqual(['cancel']);
    expect(oneoff('done')).toEqual(['remove']);
    expect(oneoff('failed')).toEqual(['remove']);
    expect(oneoff('canceled')).toEqual(['remove']);
    // Even if the server said it could pause.
    expect(jobActions(job('o', { oneoff: true, state: 'running', can_pause: true })).pause).toBe(false);
  });

  it('lets a one-off transfer be neither edited nor asked for its history', () => {
    const o = job('o', { kind: 'upload', oneoff: true });
    expect(isEditable(o)).toBe(false);
    expect(hasHistory(o)).toBe(false);
    expect(isEditable(job('a'))).toBe(true);
    expect(hasHistory(job('a', { oneoff: false }))).toBe(true);
  });
});

describe('the schedule form', () => {
  it('starts from the schedule there is', () => {
    expect(draftOf(null)).toEqual({ mode: 'none', every: '1h', cron: '0 3 * * *', tz: '' });
    expect(draftOf({ every: '15m' })).toMatchObject({ mode: 'every', every: '15m' });
    expect(draftOf({ cron: '0 4 * * 1', tz: 'Asia/Tokyo' })).toMatchObject({ mode: 'cron', cron: '0 4 * * 1', tz: 'Asia/Tokyo' });
  });

  it('makes the PUT body', () => {
    const d = draftOf(null);
    expect(scheduleEdit(d)).toEqual({ change: { clear_schedule: true } });
    expect(scheduleEdit({ ...d, mode: 'every', every: ' 6h ' })).toEqual({ change: { schedule: { every: '6h' } } });
    expect(scheduleEdit({ ...d, mode: 'cron', cron: ' 0  3 * * * ', tz: '' })).toEqual({ change: { schedule: { cron: '0 3 * * *' } } });
    expect(scheduleEdit({ ...d, mode: 'cron', tz: ' Europe/Paris ' })).toEqual({
      change: { schedule: { cron: '0 3 * * *', tz: 'Europe/Paris' } },
    });
  });

  it('names the empty field', () => {
    const d = draftOf(null);
    expect(scheduleEdit({ ...d, mode: 'every', every: '  ' })).toMatchObject({ field: 'schedule.every' });
    expect(scheduleEdit({ ...d, mode: 'cron', cron: '' })).toMatchObject({ field: 'schedule.cron' });
  });

  it('finds the field an API message is about', () => {
    expect(errorField('schedule.cron: `61 * * * *` is not a cron expression (bad minute)')).toBe('schedule.cron');
    expect(errorField('schedule.tz: `Mars/Olympus` is not a time zone')).toBe('schedule.tz');
    expect(errorField('webhook: not a URL')).toBe('webhook');
    expect(errorField('params.replicas[1].url: not an s3:// URL')).toBe('params.replicas[1].url');
    expect(errorField('params[0: odd')).toBeNull();
    expect(errorField('Cannot reach the Coffer API: failed')).toBeNull();
    expect(errorField('no such job')).toBeNull();
  });
});

describe('history', () => {
  it('measures runs, running ones up to now', () => {
    expect(runDuration(run('r'), NOW)).toBe(90);
    expect(runDuration(run('r', { started: '2026-03-10T11:59:00Z', ended: null, result: 'running' }), NOW)).toBe(60);
    expect(runDuration(run('r', { ended: null, result: 'interrupted' }), NOW)).toBeNull();
    expect(runDuration(run('r', { started: 'bad' }), NOW)).toBeNull();
  });

  it('formats durations', () => {
    expect(formatDuration(0.35)).toBe('350 ms');
    expect(formatDuration(12.4)).toBe('12 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(null)).toBe('—');
  });

  it('shows the newest runs first without changing the list', () => {
    const runs = [run('1'), run('2'), run('3')];
    expect(newestFirst(runs).map((r) => r.id)).toEqual(['3', '2', '1']);
    expect(newestFirst(runs, 2).map((r) => r.id)).toEqual(['3', '2']);
    expect(runs.map((r) => r.id)).toEqual(['1', '2', '3']);
  });
});

describe('runChart', () => {
  const history = [
    run('1', { started: '2026-03-08T03:00:00Z', ended: '2026-03-08T03:00:30Z', bytes: 100 }),
    run('2', { started: '2026-03-09T03:00:00Z', ended: '2026-03-09T03:01:00Z', bytes: 400 }),
    run('3', { started: '2026-03-10T03:00:00Z', ended: '2026-03-10T03:00:15Z', bytes: 0, result: 'failed' }),
  ];

  it('scales each series to its own maximum', () => {
    const c = runChart(history, { width: 300, height: 104, now: NOW });
    expect(c.runs).toBe(3);
    expect(c.maxDuration).toBe(60);
    expect(c.maxBytes).toBe(400);
    const plot = 100; // height minus the top margin
    expect(c.durations.map((b) => b.height)).toEqual([plot / 2, plot, plot / 4]);
    expect(c.bytes.map((b) => b.height)).toEqual([plot / 4, plot, 0]);
    for (const b of [...c.durations, ...c.bytes]) expect(b.y + b.height).toBe(104);
  });

  it('puts each run in its slot, oldest left, duration then bytes', () => {
    const c = runChart(history, { width: 300, height: 104, now: NOW });
    const slot = 100;
    c.durations.forEach((d, i) => {
      expect(d.x).toBeGreaterThanOrEqual(i * slot);
      expect(c.bytes[i].x).toBeCloseTo(d.x + d.width);
      expect(c.bytes[i].x + c.bytes[i].width).toBeLessThanOrEqual((i + 1) * slot);
    });
    expect(c.durations[2].label).toMatch(/15 s \(Failed\)$/);
    expect(c.bytes[1].label).toMatch(/400 B \(Done\)$/);
  });

  it('keeps tiny values visible and draws only the last runs', () => {
    const many = Array.from({ length: 50 }, (_, i) =>
      run(String(i), { bytes: i === 49 ? 1_000_000 : 1, started: '2026-03-10T03:00:00Z', ended: '2026-03-10T03:00:10Z' }),
    );
    const c = runChart(many, { max: 30, height: 60, now: NOW });
    expect(c.runs).toBe(30);
    expect(c.bytes[0].height).toBe(1);
    expect(c.bytes[29].height).toBe(56);
    expect(c.summary).toBe('Last 30 runs: longest 10 s, largest 977 KiB.');
  });

  it('is empty without runs', () => {
    const c = runChart([], { now: NOW });
    expect(c).toMatchObject({ runs: 0, durations: [], bytes: [], maxDuration: 0, maxBytes: 0, summary: 'No runs yet.' });
  });
});
