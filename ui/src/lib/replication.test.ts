import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import {
  HOUR_MS,
  defaultRestorePath,
  dirName,
  emptyReplicationDraft,
  fileIn,
  fileName,
  formatMs,
  formatRequests,
  formatTime,
  formatUsd,
  fromLocalInput,
  hourlyChart,
  isAbout,
  isExists,
  latestDrills,
  parseDuration,
  pointAt,
  previewErrorField,
  previewRequest,
  removeReplication,
  replicaRows,
  replicaUrlProblem,
  replicationJobRequest,
  restoreBody,
  restoreSummary,
  scheduleSummary,
  sinceText,
  snapshotMarks,
  stateLabel,
  toLocalInput,
  withJobEvent,
  type DrillReport,
  type RemoveCalls,
  type ReplicaStatus,
  type ReplicationJob,
  type RestorePoint,
} from './replication';
import type { Job, JobState } from './types';

const NOW = Date.UTC(2026, 2, 10, 12, 30, 0);

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

function replica(patch: Partial<ReplicaStatus> = {}): ReplicaStatus {
  return {
    name: 'garage:s3://b/dbs',
    txid: 42,
    pending: 0,
    lag_ms: 0,
    last_sync_ms: NOW - 2000,
    last_snapshot_ms: null,
    error: null,
    bytes: 846,
    requests: { put: 1, list: 9, get: 0, delete: 0 },
    bytes_per_hour: [],
    ...patch,
  };
}

function repl(patch: Partial<ReplicationJob> = {}): ReplicationJob {
  return {
    job: job(),
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
    ...patch,
  };
}

function drill(patch: Partial<DrillReport> = {}): DrillReport {
  return {
    replica: 'garage:s3://b/dbs',
    at_ms: NOW - 60_000,
    ok: true,
    txid: 42,
    age_ms: 1200,
    objects: 3,
    bytes: 12345,
    db_bytes: 1048576,
    took_ms: 350,
    checksum_verified: true,
    error: null,
    ...patch,
  };
}

describe('words', () => {
  it('formats lag and other spans in ms', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(350.4)).toBe('350 ms');
    expect(formatMs(1000)).toBe('1 s');
    expect(formatMs(1250)).toBe('1.2 s');
    expect(formatMs(9999)).toBe('9.9 s');
    expect(formatMs(45_000)).toBe('45 s');
    expect(formatMs(75_500)).toBe('1 min 15 s');
    expect(formatMs(2 * HOUR_MS)).toBe('2 h');
    expect(formatMs(null)).toBe('—');
    expect(formatMs(undefined)).toBe('—');
    expect(formatMs(-1)).toBe('—');
    expect(formatMs(Number.NaN)).toBe('—');
  });

  it('formats times in local time, with seconds', () => {
    const t = new Date(2026, 2, 1, 14, 3, 5).getTime();
    expect(formatTime(t)).toBe('2026-03-01 14:03:05');
    expect(formatTime(null)).toBe('—');
  });

  it('says how long ago, and “never” for none', () => {
    expect(sinceText(NOW - 2000, NOW)).toBe('just now');
    expect(sinceText(NOW - 5 * 60_000, NOW)).toBe('5 min ago');
    expect(sinceText(NOW - 3 * HOUR_MS, NOW)).toBe('3 h ago');
    expect(sinceText(null, NOW)).toBe('never');
    expect(sinceText(undefined, NOW)).toBe('never');
  });

  it('formats request counts and dollars', () => {
    expect(formatRequests(0)).toBe('0');
    expect(formatRequests(0.04)).toBe('0');
    expect(formatRequests(0.46)).toBe('0.5');
    expect(formatRequests(9.96)).toBe('10');
    expect(formatRequests(3613.4)).toBe('3,613');
    expect(formatRequests(2_637_490)).toBe('2,637,490');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.004)).toBe('< $0.01');
    expect(formatUsd(14.531)).toBe('$14.53');
    expect(formatUsd(1204.4)).toBe('$1,204');
  });

  it('names the state, “Starting” while the status is not in yet', () => {
    expect(stateLabel(repl())).toBe('Running');
    expect(stateLabel(repl({ live: false }))).toBe('Starting');
    expect(stateLabel(repl({ job: job({ state: 'paused' }), live: false }))).toBe('Paused');
    expect(stateLabel(repl({ job: job({ state: 'failed' }), live: false }))).toBe('Failed');
  });

  it('summarizes the timing', () => {
    expect(scheduleSummary(repl().params)).toBe('every 1 s · snapshot every 1 d · keep 7 d');
  });
});

describe('replicas and drills', () => {
  it('has a row per replica of the params, before the first run too', () => {
    const r = repl({ params: { ...repl().params, replicas: [{ profile: 'garage', url: 's3://b/dbs' }, { profile: 'r2', url: 's3://c' }] } });
    expect(replicaRows(r)).toEqual([
      { name: 'garage:s3://b/dbs', target: { profile: 'garage', url: 's3://b/dbs' }, status: null },
      { name: 'r2:s3://c', target: { profile: 'r2', url: 's3://c' }, status: null },
    ]);
  });

  it('matches statuses by name, else by position, and keeps extra ones', () => {
    const a = replica({ name: 'r2:s3://c', txid: 7 });
    const b = replica({ name: 'garage:s3://b/dbs/', txid: 9 });
    const c = replica({ name: 'other:s3://x', txid: 1 });
    const r = repl({
      params: { ...repl().params, replicas: [{ profile: 'garage', url: 's3://b/dbs' }, { profile: 'r2', url: 's3://c' }] },
      status: { db: '/data/app.db', lineage: 'l', txid: 9, wal_bytes: 0, alert: null, last_checkpoint_ms: null, replicas: [b, a, c], drills: [] },
    });
    const rows = replicaRows(r);
    expect(rows.map((x) => [x.name, x.status?.txid])).toEqual([
      ['garage:s3://b/dbs', 9],
      ['r2:s3://c', 7],
      ['other:s3://x', 1],
    ]);
    expect(rows[2].target).toBeNull();
  });

  it('shows the newest drill of each replica, the status’s or the page’s', () => {
    const old = drill({ at_ms: 100 });
    const other = drill({ replica: 'r2:s3://c', at_ms: 100 });
    const fresh = drill({ at_ms: 200, ok: false, txid: null, error: 'boom' });
    expect(latestDrills([old, other], [fresh])).toEqual([fresh, other]);
    expect(latestDrills([fresh], [old])).toEqual([fresh]);
    expect(latestDrills([], [old])).toEqual([old]);
    expect(latestDrills([old])).toEqual([old]);
  });

  it('applies job events: state now, gone when removed, reload for a new one', () => {
    const list = [repl(), repl({ job: job({ id: 'r2' }) })];
    const paused = withJobEvent(list, { kind: 'paused', job: job({ state: 'paused' }) });
    expect(paused?.map((r) => r.job.state)).toEqual(['paused', 'running']);
    expect(paused?.[0].params).toBe(list[0].params);
    expect(withJobEvent(list, { kind: 'removed', job: job({ id: 'r2' }) })?.map((r) => r.job.id)).toEqual(['r1']);
    expect(withJobEvent(list, { kind: 'removed', job: job({ id: 'zz' }) })).toBe(list);
    expect(withJobEvent(list, { kind: 'queued', job: job({ id: 'new' }) })).toBeNull();
    expect(withJobEvent(list, { kind: 'progress', job: job({ id: 'up', kind: 'upload' }) })).toBe(list);
  });
});

describe('the bytes-per-hour chart', () => {
  const hour = NOW - (NOW % HOUR_MS);

  it('draws the last 48 hours, the current one right, missing hours empty', () => {
    const chart = hourlyChart(
      [
        [hour - 49 * HOUR_MS, 999],
        [hour - 47 * HOUR_MS, 100],
        [hour - 2 * HOUR_MS, 400],
        [hour, 200],
      ],
      { now: NOW, width: 480, height: 60 },
    );
    expect(chart.hours).toBe(48);
    expect(chart.bars).toHaveLength(48);
    expect(chart.bars.map((b) => b.value).filter((v) => v > 0)).toEqual([100, 400, 200]);
    expect(chart.bars[0].value).toBe(100);
    expect(chart.bars[45].value).toBe(400);
    expect(chart.bars[47].value).toBe(200);
    expect(chart.total).toBe(700);
    expect(chart.max).toBe(400);
    // Scaled to the largest; the plot leaves 2 units at the top.
    expect(chart.bars[45].height).toBe(58);
    expect(chart.bars[45].y).toBe(2);
    expect(chart.bars[47].height).toBe(29);
    expect(chart.bars[1].height).toBe(0);
    expect(chart.bars[47].x + chart.bars[47].width).toBeLessThanOrEqual(480);
    expect(chart.summary).toMatch(/^Last 48 h: 700 B uploaded; busiest hour \d{4}-\d\d-\d\d \d\d:\d\d \(400 B\)\.$/);
    expect(chart.bars[45].label).toMatch(/: 400 B$/);
  });

  it('adds points of the same hour, keeps tiny ones visible, says when nothing came', () => {
    const chart = hourlyChart(
      [
        [hour + 5, 1],
        [hour, 1_000_000],
        [hour - HOUR_MS + 10, 1],
      ],
      { now: NOW, hours: 2 },
    );
    expect(chart.bars.map((b) => b.value)).toEqual([1, 1_000_001]);
    expect(chart.bars[0].height).toBe(1);
    expect(hourlyChart([], { now: NOW }).summary).toBe('Nothing uploaded in the last 48 h.');
    expect(hourlyChart([], { now: NOW }).bars.every((b) => b.height === 0)).toBe(true);
  });
});

describe('the restore timeline', () => {
  const points: RestorePoint[] = [
    { txid: 1, ts_ms: 1000, level: 9 },
    { txid: 2, ts_ms: 2000, level: 0 },
    { txid: 3, ts_ms: 3000, level: 0 },
    { txid: 4, ts_ms: 3000, level: 0 },
    { txid: 5, ts_ms: 9000, level: 9 },
  ];

  it('picks the newest point at or before a time', () => {
    expect(pointAt(points, 999)).toBe(-1);
    expect(pointAt(points, 1000)).toBe(0);
    expect(pointAt(points, 2999)).toBe(1);
    expect(pointAt(points, 3000)).toBe(3);
    expect(pointAt(points, 8999)).toBe(3);
    expect(pointAt(points, 1e15)).toBe(4);
    expect(pointAt([], 1e15)).toBe(-1);
  });

  it('marks the snapshots along the slider', () => {
    expect(snapshotMarks(points).map((m) => [m.at, m.point.txid])).toEqual([
      [0, 1],
      [1, 5],
    ]);
    expect(snapshotMarks([{ txid: 1, ts_ms: 1, level: 9 }])).toEqual([{ at: 1, point: { txid: 1, ts_ms: 1, level: 9 } }]);
  });

  it('round-trips a time through a datetime-local value', () => {
    const t = new Date(2026, 2, 1, 14, 3, 5).getTime();
    expect(toLocalInput(t)).toBe('2026-03-01T14:03:05');
    expect(fromLocalInput('2026-03-01T14:03:05')).toBe(t);
    expect(fromLocalInput('2026-03-01T14:03')).toBe(t - 5000);
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('yesterday')).toBeNull();
  });

  it('restores next to the database by default', () => {
    expect(defaultRestorePath('/data/app.db')).toBe('/data/app-restored.db');
    expect(defaultRestorePath('/data/app')).toBe('/data/app-restored');
    expect(defaultRestorePath('/app.sqlite3')).toBe('/app-restored.sqlite3');
    expect(defaultRestorePath('C:\\data\\app.db')).toBe('C:\\data\\app-restored.db');
    expect(dirName('/a/b/c.db')).toBe('/a/b');
    expect(dirName('/c.db')).toBe('/');
    expect(dirName('c.db')).toBe('');
    expect(fileName('/a/b/c.db')).toBe('c.db');
    expect(fileName('C:\\x\\y.db')).toBe('y.db');
    expect(fileIn('/a', 'x.db')).toBe('/a/x.db');
    expect(fileIn('/a/', 'x.db')).toBe('/a/x.db');
    expect(fileIn('C:\\a', 'x.db')).toBe('C:\\a\\x.db');
  });

  it('asks for the chosen point’s time, into an absolute path', () => {
    expect(restoreBody(points[2], ' /data/r.db ', false, 0)).toEqual({ request: { to: '/data/r.db', timestamp_ms: 3000, force: false, replica: 0 } });
    expect(restoreBody(points[4], '/data/r.db', true, 1)).toEqual({ request: { to: '/data/r.db', timestamp_ms: 9000, force: true, replica: 1 } });
    expect(restoreBody(null, '/data/r.db', false, 0)).toMatchObject({ field: 'point' });
    expect(restoreBody(points[0], '  ', false, 0)).toMatchObject({ field: 'to' });
    expect(restoreBody(points[0], 'r.db', false, 0)).toMatchObject({ field: 'to', problem: '“r.db” is not an absolute path.' });
  });

  it('tells a refusal to overwrite, and words the outcome', () => {
    expect(isExists(new ApiError('exists', '/data/r.db exists', 409))).toBe(true);
    expect(isExists({ code: 'exists', message: 'x' })).toBe(true);
    expect(isExists(new ApiError('no_history', 'nothing', 404))).toBe(false);
    const ts = new Date(2026, 2, 1, 14, 3, 5).getTime();
    expect(
      restoreSummary({ lineage: 'l', txid: 42, ts_ms: ts, objects: 3, bytes: 12288, pages: 6, page_size: 4096, checksum_verified: true, path: '/r.db' }),
    ).toBe('TXID 42 of 2026-03-01 14:03:05: 3 objects (12 KiB), 6 pages of 4 KiB, checksum verified');
    expect(
      restoreSummary({ lineage: 'l', txid: 1, ts_ms: ts, objects: 1, bytes: 10, pages: 1, page_size: 4096, checksum_verified: false, path: '/r.db' }),
    ).toBe('TXID 1 of 2026-03-01 14:03:05: 1 object (10 B), 1 page of 4 KiB, no checksum to verify');
  });
});

describe('the add form', () => {
  const filled = () => ({ ...emptyReplicationDraft('garage'), db: ' /data/app.db ', replicas: [{ profile: 'garage', url: ' s3://b/dbs ' }] });

  it('parses durations', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration(' 500 ms ')).toBe(500);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('30min')).toBe(1_800_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('')).toBeNull();
    expect(parseDuration('1w')).toBeNull();
    expect(parseDuration('-1s')).toBeNull();
    expect(parseDuration('s')).toBeNull();
  });

  it('checks replica URLs', () => {
    expect(replicaUrlProblem('s3://b')).toBeNull();
    expect(replicaUrlProblem('s3://b/dbs/prod')).toBeNull();
    expect(replicaUrlProblem('')).toMatch(/Enter/);
    expect(replicaUrlProblem('b/dbs')).toMatch(/s3:\/\/BUCKET/);
    expect(replicaUrlProblem('s3:///dbs')).toMatch(/s3:\/\/BUCKET/);
    expect(replicaUrlProblem('s3://b/a//c')).toMatch(/empty segment/);
  });

  it('makes the job the API takes, with the defaults', () => {
    expect(replicationJobRequest(filled())).toEqual({
      job: {
        kind: 'replicate',
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
        notify: { on_failure: true, on_success: false },
      },
    });
  });

  it('takes a name, several replicas, other timings and no drill', () => {
    const draft = {
      ...filled(),
      name: ' prod ',
      replicas: [
        { profile: 'garage', url: 's3://b/dbs' },
        { profile: 'r2', url: 's3://c' },
      ],
      interval: '250ms',
      snapshotEvery: '6h',
      retain: '30d',
      drillEvery: '0',
      lagAlert: '2min',
    };
    const made = replicationJobRequest(draft);
    expect('job' in made && made.job.params).toEqual({
      db: '/data/app.db',
      name: 'prod',
      replicas: [
        { profile: 'garage', url: 's3://b/dbs' },
        { profile: 'r2', url: 's3://c' },
      ],
      interval_ms: 250,
      snapshot_every_s: 21600,
      retain_s: 2_592_000,
      drill_every_s: 0,
      lag_alert_s: 120,
    });
  });

  it('names the field at fault as the API would', () => {
    expect(replicationJobRequest({ ...filled(), db: '' })).toMatchObject({ field: 'params.db' });
    expect(replicationJobRequest({ ...filled(), db: 'app.db' })).toMatchObject({ field: 'params.db', problem: '“app.db” is not an absolute path.' });
    expect(replicationJobRequest({ ...filled(), replicas: [] })).toMatchObject({ field: 'params.replicas' });
    expect(replicationJobRequest({ ...filled(), replicas: [{ profile: 'p', url: 's3://b' }, { profile: '', url: 's3://c' }] })).toMatchObject({
      field: 'params.replicas[1].profile',
    });
    expect(replicationJobRequest({ ...filled(), replicas: [{ profile: 'p', url: 'nope' }] })).toMatchObject({ field: 'params.replicas[0].url' });
    expect(replicationJobRequest({ ...filled(), interval: '50ms' })).toMatchObject({ field: 'params.interval_ms', problem: 'Sync interval: at least 100 ms.' });
    expect(replicationJobRequest({ ...filled(), snapshotEvery: 'daily' })).toMatchObject({ field: 'params.snapshot_every_s' });
    expect(replicationJobRequest({ ...filled(), retain: '30s' })).toMatchObject({ field: 'params.retain_s' });
    expect(replicationJobRequest({ ...filled(), drillEvery: '1s' })).toMatchObject({ field: 'params.drill_every_s', problem: 'Restore drill every: at least 1 min.' });
    expect(replicationJobRequest({ ...filled(), lagAlert: '0' })).toMatchObject({ field: 'params.lag_alert_s' });
  });

  it('asks the preview for the database, the timing and the number of replicas', () => {
    const draft = { ...filled(), replicas: [...filled().replicas, { profile: 'r2', url: '' }] };
    expect(previewRequest(draft)).toEqual({
      request: { db: '/data/app.db', interval_ms: 1000, replicas: 2, snapshot_every_s: 86400, retain_s: 604800, window_ms: 3000 },
    });
    expect(previewRequest(draft, 500)).toMatchObject({ request: { window_ms: 500 } });
    expect(previewRequest({ ...draft, db: '' })).toMatchObject({ field: 'params.db' });
    expect(previewRequest({ ...draft, interval: 'x' })).toMatchObject({ field: 'params.interval_ms' });
  });

  it('places the API’s errors on their field', () => {
    expect(isAbout('params.db', 'db')).toBe(true);
    expect(isAbout('params.db', 'params.db')).toBe(true);
    expect(isAbout('params.replicas[0].url', 'replicas[0]')).toBe(true);
    expect(isAbout('params.replicas[0].url', 'replicas[0].url')).toBe(true);
    expect(isAbout('params.replicas[0].url', 'replicas[1]')).toBe(false);
    expect(isAbout('params.replicas[10].url', 'replicas[1]')).toBe(false);
    expect(isAbout('params.replicas', 'replicas')).toBe(true);
    expect(isAbout('params.dbx', 'db')).toBe(false);
    expect(isAbout(null, 'db')).toBe(false);
    expect(previewErrorField(new ApiError('bad_request', '/x/app.db: No such file or directory (os error 2)', 400))).toBe('params.db');
    expect(previewErrorField(new ApiError('forbidden', '/etc/x.db is outside the allowed folders', 403))).toBe('params.db');
    expect(previewErrorField({ code: 'bad_request', message: 'not a database' })).toBe('params.db');
    expect(previewErrorField(new ApiError('bad_request', 'params.interval_ms: at least 100 ms', 400))).toBe('params.interval_ms');
    expect(previewErrorField(new ApiError('network', 'Cannot reach the Coffer API'))).toBeNull();
  });
});

describe('the remove sequence', () => {
  /** A server whose job goes through `states` on each GET, then is gone after DELETE. */
  function server(states: JobState[], fail: Partial<Record<'cancel' | 'get' | 'delete', ApiError>> = {}) {
    const calls: string[] = [];
    let at = 0;
    const api: RemoveCalls = {
      async jobAction(id, action) {
        calls.push(`${action} ${id}`);
        if (fail.cancel) throw fail.cancel;
        return job({ id, state: states[0] });
      },
      async job(id) {
        calls.push(`get ${id}`);
        if (fail.get) throw fail.get;
        const state = states[Math.min(at++, states.length - 1)];
        return job({ id, state });
      },
      async deleteJob(id) {
        calls.push(`delete ${id}`);
        if (fail.delete) throw fail.delete;
        return null;
      },
    };
    return { api, calls };
  }
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  it('cancels, waits until it is neither running nor queued, then deletes', async () => {
    const { api, calls } = server(['running', 'running', 'canceled']);
    sleeps.length = 0;
    await removeReplication(api, job({ state: 'running' }), { sleep, every: 50 });
    expect(calls).toEqual(['cancel r1', 'get r1', 'get r1', 'get r1', 'delete r1']);
    expect(sleeps).toEqual([50, 50]);
  });

  it('cancels a paused or queued one too, and only deletes a stopped one', async () => {
    for (const state of ['paused', 'queued'] as const) {
      const { api, calls } = server(['canceled']);
      await removeReplication(api, job({ state }), { sleep });
      expect(calls).toEqual(['cancel r1', 'get r1', 'delete r1']);
    }
    for (const state of ['failed', 'canceled', 'done', 'idle'] as const) {
      const { api, calls } = server([state]);
      await removeReplication(api, job({ state }), { sleep });
      expect(calls).toEqual(['get r1', 'delete r1']);
    }
  });

  it('goes on when the cancel comes too late (409), stops when the job is gone (404)', async () => {
    const late = server(['failed'], { cancel: new ApiError('conflict', 'cannot cancel a failed job', 409) });
    await removeReplication(late.api, job(), { sleep });
    expect(late.calls).toEqual(['cancel r1', 'get r1', 'delete r1']);

    const gone = server(['running'], { cancel: new ApiError('not_found', 'no job', 404) });
    await removeReplication(gone.api, job(), { sleep });
    expect(gone.calls).toEqual(['cancel r1']);

    const vanished = server(['running'], { get: new ApiError('not_found', 'no job') });
    await removeReplication(vanished.api, job(), { sleep });
    expect(vanished.calls).toEqual(['cancel r1', 'get r1']);

    const deleted = server(['canceled'], { delete: new ApiError('not_found', 'no job', 404) });
    await expect(removeReplication(deleted.api, job(), { sleep })).resolves.toBeUndefined();
  });

  it('rejects with other errors, and gives up on a job that keeps running', async () => {
    const refused = server(['running'], { cancel: new ApiError('unauthorized', 'token', 401) });
    await expect(removeReplication(refused.api, job(), { sleep })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(refused.calls).toEqual(['cancel r1']);

    const stuck = server(['running']);
    await expect(removeReplication(stuck.api, job(), { sleep, tries: 3 })).rejects.toMatchObject({ code: 'timeout' });
    expect(stuck.calls).toEqual(['cancel r1', 'get r1', 'get r1', 'get r1']);

    const broken = server(['canceled'], { delete: new ApiError('conflict', 'running', 409) });
    await expect(removeReplication(broken.api, job(), { sleep })).rejects.toMatchObject({ code: 'conflict' });
  });
});
