import { describe, expect, it } from 'vitest';
import {
  addedText,
  backupChart,
  backupJobRequest,
  backupParamsOf,
  backupProgress,
  bytesAdded,
  checkText,
  dirKey,
  emptyJobDraft,
  emptyKeep,
  emptyRepoDraft,
  emptyTree,
  filesText,
  flattenTree,
  forgetSummary,
  isAbsolutePath,
  isRestoreJob,
  isWouldOverwrite,
  keepPolicy,
  keepText,
  keyOfRepo,
  lines,
  loneFolder,
  needsLoad,
  newRestoreId,
  newestFirst,
  parentDir,
  parentRow,
  pruneText,
  repoKey,
  repoRequest,
  repoUrlProblem,
  restoreRequest,
  restoreText,
  rowIndex,
  runDetails,
  setExpanded,
  snapshotSize,
  sortEntries,
  tagList,
  versionRows,
  withFolder,
  type TreeModel,
} from './backups';
import { ApiError } from './errors';
import { isJobId } from './local-runner';
import { visibleWindow } from './vlist';
import type { BackupEntry, Job, RepoRecord, RunRecord, SnapshotInfo, Version } from './types';

const repo: RepoRecord = { profile: 'garage', url: 's3://backups/laptop/', append_only: false, repo_id: 'abc', added: '2026-03-01T00:00:00Z' };

function job(patch: Partial<Job> = {}): Job {
  return {
    id: 'j1',
    kind: 'backup',
    name: 'backup of docs',
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

function run(id: string, patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    job: 'j1',
    trigger: 'manual',
    started: '2026-03-10T03:00:00Z',
    ended: '2026-03-10T03:00:10Z',
    result: 'done',
    bytes: 5000,
    items: 3,
    error: null,
    ...patch,
  };
}

const details = (snapshot: string, bytes_added: number, extra: Record<string, unknown> = {}) => ({
  snapshot,
  files_new: 2,
  files_changed: 1,
  files_unmodified: 10,
  bytes_added,
  bytes_added_packed: Math.floor(bytes_added / 2),
  repo_size: 123456,
  resumed_packs: 0,
  errors: 0,
  first_errors: [],
  ...extra,
});

function entry(path: string, kind: BackupEntry['kind'] = 'file', size = 10): BackupEntry {
  return { path, name: path.slice(path.lastIndexOf('/') + 1), kind, size, mtime: '2026-03-01T10:00:00Z', mode: 0o644, link_target: null };
}

describe('repositories', () => {
  it('keys a repository by profile and URL', () => {
    expect(repoKey('p', 's3://b/x y/')).toBe('p:s3://b/x y/');
    expect(keyOfRepo(repo)).toBe('garage:s3://backups/laptop/');
  });

  it('checks repository URLs like the server', () => {
    expect(repoUrlProblem('s3://bucket')).toBeNull();
    expect(repoUrlProblem('s3://bucket/')).toBeNull();
    expect(repoUrlProblem(' s3://bucket/some prefix/ü+%/ ')).toBeNull();
    expect(repoUrlProblem('')).toMatch(/Enter/);
    expect(repoUrlProblem('bucket/prefix')).toMatch(/s3:\/\//);
    expect(repoUrlProblem('s3://')).toMatch(/s3:\/\//);
    expect(repoUrlProblem('s3://b//x/')).toMatch(/empty segment/);
    expect(repoUrlProblem('s3://b/x//y/')).toMatch(/empty segment/);
  });

  it('makes the add body, asking the password twice to create', () => {
    const draft = { ...emptyRepoDraft('garage'), url: ' s3://b/p/ ', password: 'pw', confirm: 'pw' };
    expect(repoRequest(draft)).toEqual({ request: { profile: 'garage', repo: 's3://b/p/', password: 'pw', create: true, append_only: false } });
    expect(repoRequest({ ...draft, confirm: 'px' })).toMatchObject({ field: 'confirm' });
    expect(repoRequest({ ...draft, create: false, confirm: '', appendOnly: true })).toEqual({
      request: { profile: 'garage', repo: 's3://b/p/', password: 'pw', create: false, append_only: true },
    });
    expect(repoRequest({ ...draft, password: '' })).toMatchObject({ field: 'password' });
    expect(repoRequest({ ...draft, url: 'nope' })).toMatchObject({ field: 'repo' });
    expect(repoRequest({ ...draft, profile: '' })).toMatchObject({ field: 'profile' });
  });
});

describe('the backup job form', () => {
  it('splits lines and tags', () => {
    expect(lines(' /a \n\n/b c\r\n')).toEqual(['/a', '/b c']);
    expect(tagList('daily, laptop  daily,,x')).toEqual(['daily', 'laptop', 'x']);
    expect(isAbsolutePath('/home')).toBe(true);
    expect(isAbsolutePath('C:\\Users')).toBe(true);
    expect(isAbsolutePath('home')).toBe(false);
  });

  it('reads keep rules, naming a bad one', () => {
    expect(keepPolicy(emptyKeep())).toEqual({ keep: null });
    expect(keepPolicy({ ...emptyKeep(), daily: ' 7 ', last: '0' })).toEqual({ keep: { last: 0, daily: 7 } });
    expect(keepPolicy({ ...emptyKeep(), weekly: '2.5' })).toMatchObject({ field: 'keep.weekly' });
    expect(keepPolicy({ ...emptyKeep(), yearly: '-1' })).toMatchObject({ field: 'keep.yearly' });
    expect(keepText({ daily: 7, last: 3 })).toBe('last 3, daily 7');
    expect(keepText(null)).toBe('');
  });

  it('makes the job body with the params the server expects', () => {
    const draft = {
      ...emptyJobDraft(keyOfRepo(repo)),
      name: ' docs ',
      paths: '/home/me/docs\n/home/me/a b ü+%\n',
      excludes: '*.tmp\nnode_modules',
      oneFileSystem: true,
      excludeCaches: true,
      tags: 'laptop, daily',
      keep: { ...emptyKeep(), daily: '7', weekly: '4' },
      prune: true,
      schedule: { mode: 'cron' as const, every: '1h', cron: '0  3 * * *', tz: 'Europe/Paris' },
    };
    expect(backupJobRequest(draft, [repo])).toEqual({
      job: {
        kind: 'backup',
        name: 'docs',
        schedule: { cron: '0 3 * * *', tz: 'Europe/Paris' },
        run_now: false,
        params: {
          profile: 'garage',
          repo: 's3://backups/laptop/',
          paths: ['/home/me/docs', '/home/me/a b ü+%'],
          excludes: ['*.tmp', 'node_modules'],
          exclude_files: [],
          git_ignore: false,
          one_file_system: true,
          exclude_caches: true,
          tags: ['laptop', 'daily'],
          keep: { daily: 7, weekly: 4 },
          prune: true,
        },
      },
    });
  });

  it('sends no schedule for a job run by hand, and keep null without rules', () => {
    const made = backupJobRequest({ ...emptyJobDraft(keyOfRepo(repo)), paths: '/data', runNow: true }, [repo]);
    expect(made).toMatchObject({ job: { run_now: true, params: { keep: null, prune: false } } });
    expect('job' in made && 'schedule' in made.job).toBe(false);
    expect('job' in made && 'name' in made.job).toBe(false);
  });

  it('names the field of the first problem', () => {
    const ok = { ...emptyJobDraft(keyOfRepo(repo)), paths: '/data' };
    expect(backupJobRequest({ ...ok, repo: 'x:y' }, [repo])).toMatchObject({ field: 'params.repo' });
    expect(backupJobRequest({ ...ok, paths: ' \n ' }, [repo])).toMatchObject({ field: 'params.paths' });
    expect(backupJobRequest({ ...ok, paths: 'relative/dir' }, [repo])).toMatchObject({ field: 'params.paths' });
    expect(backupJobRequest({ ...ok, excludeFiles: 'x.txt' }, [repo])).toMatchObject({ field: 'params.exclude_files' });
    expect(backupJobRequest({ ...ok, prune: true }, [repo])).toMatchObject({ field: 'params.prune' });
    expect(backupJobRequest({ ...ok, keep: { ...emptyKeep(), daily: 'x' } }, [repo])).toMatchObject({ field: 'keep.daily' });
    expect(backupJobRequest({ ...ok, schedule: { ...ok.schedule, mode: 'every', every: ' ' } }, [repo])).toMatchObject({ field: 'schedule.every' });
  });
});

describe('backup jobs', () => {
  it('reads params defensively', () => {
    expect(backupParamsOf(job({ params: { profile: 'p', repo: 's3://b/', paths: ['/a', 3], keep: { daily: 7 }, prune: true } }))).toEqual({
      profile: 'p',
      repo: 's3://b/',
      paths: ['/a'],
      excludes: [],
      exclude_files: [],
      git_ignore: false,
      one_file_system: false,
      exclude_caches: false,
      tags: [],
      keep: { daily: 7 },
      prune: true,
    });
  });

  it('shows files, bytes, rate and ETA of a running backup', () => {
    const progress = {
      operation: 'backup',
      bytes_done: 1536,
      bytes_total: 3072,
      bytes_resumed: 0,
      items_done: 1234,
      items_total: 10000,
      rate: 2 * 1024 * 1024,
      eta: 125,
      elapsed: 3,
      finished: false,
    };
    const p = backupProgress(job({ state: 'running', progress }));
    expect(p).toMatchObject({ percent: 50, files: '1,234 / 10,000 files', bytes: '1.5 KiB / 3 KiB', rate: '2 MiB/s', eta: '2 min 5 s left' });
    expect(p?.text).toBe('1,234 / 10,000 files · 1.5 KiB / 3 KiB · 2 MiB/s · 2 min 5 s left');
    const early = backupProgress(job({ state: 'running', progress: { ...progress, bytes_total: 0, items_total: 0, rate: 0, eta: null } }));
    expect(early).toMatchObject({ percent: null, files: '1,234 files', bytes: '1.5 KiB', eta: '' });
    expect(early?.text).toBe('1,234 files · 1.5 KiB');
    expect(backupProgress(job({ state: 'done', progress }))).toBeNull();
    expect(backupProgress(job({ state: 'running' }))).toBeNull();
  });
});

describe('runs and the history chart', () => {
  it('reads a run’s details; none for a run that made no snapshot', () => {
    const d = runDetails(run('r1', { details: details('a'.repeat(64), 2048, { forgotten: 2, pruned_bytes: 99 }) }));
    expect(d).toMatchObject({ snapshot: 'a'.repeat(64), bytes_added: 2048, repo_size: 123456, forgotten: 2, pruned_bytes: 99 });
    expect(runDetails(run('r2', { details: null }))).toBeNull();
    expect(runDetails(run('r3'))).toBeNull();
    expect(runDetails(run('r4', { details: { files_new: 1 } }))).toBeNull();
    expect(filesText(d!)).toBe('2 new, 1 changed, 10 unchanged');
    expect(addedText(d!)).toBe('2 KiB (1 KiB stored)');
  });

  it('draws duration and bytes added per run, not bytes read', () => {
    const history = [
      run('r1', { details: details('s1', 4096), bytes: 1e9 }),
      run('r2', { result: 'failed', details: undefined, bytes: 500, started: '2026-03-11T03:00:00Z', ended: '2026-03-11T03:00:05Z' }),
      run('r3', { details: details('s3', 1024), started: '2026-03-12T03:00:00Z', ended: '2026-03-12T03:00:20Z' }),
    ];
    expect(history.map(bytesAdded)).toEqual([4096, 0, 1024]);
    const chart = backupChart(history, { width: 300, height: 100, now: Date.parse('2026-03-13T00:00:00Z') });
    expect(chart.runs).toBe(3);
    expect(chart.maxBytes).toBe(4096);
    expect(chart.maxDuration).toBe(20);
    expect(chart.bytes.map((b) => b.value)).toEqual([4096, 0, 1024]);
    expect(chart.bytes.map((b) => b.height)).toEqual([96, 0, 24]);
    expect(chart.durations.map((b) => b.value)).toEqual([10, 5, 20]);
    // Oldest left.
    expect(chart.bytes[0].x).toBeLessThan(chart.bytes[2].x);
    expect(chart.bytes[2].label).toContain('1 KiB');
  });

  it('keeps the last runs only', () => {
    const history = Array.from({ length: 40 }, (_, i) => run(`r${i}`, { details: details(`s${i}`, i) }));
    const chart = backupChart(history, { max: 30 });
    expect(chart.runs).toBe(30);
    expect(chart.bytes[0].value).toBe(10);
  });
});

describe('snapshots', () => {
  const snap = (id: string, time: string): SnapshotInfo => ({
    id,
    short_id: id.slice(0, 8),
    time,
    hostname: 'h',
    paths: ['/home'],
    tags: [],
    parent: null,
    summary: null,
  });

  it('lists newest first', () => {
    const list = [snap('a', '2026-03-01T00:00:00Z'), snap('c', '2026-03-03T00:00:00+02:00'), snap('b', '2026-03-02T00:00:00Z')];
    expect(newestFirst(list).map((s) => s.id)).toEqual(['c', 'b', 'a']);
  });

  it('sizes a snapshot from its summary', () => {
    const s = snap('a', '2026-03-01T00:00:00Z');
    expect(snapshotSize(s)).toBe('');
    const summary = { files_new: 0, files_changed: 0, files_unmodified: 0, total_files: 1234, total_bytes: 3 * 1024 ** 3, data_added: 0, data_added_packed: 0, duration_secs: 1 };
    expect(snapshotSize({ ...s, summary })).toBe('1,234 files, 3 GiB');
  });
});

describe('the snapshot tree', () => {
  const root: BackupEntry[] = [entry('/home', 'dir', 0)];

  it('keys folders without a trailing slash', () => {
    expect(dirKey('')).toBe('/');
    expect(dirKey('/')).toBe('/');
    expect(dirKey('/a/b/')).toBe('/a/b');
    expect(dirKey('a b')).toBe('/a b');
    expect(parentDir('/a/b c')).toBe('/a');
    expect(parentDir('/a')).toBe('/');
    expect(parentDir('/')).toBe('/');
  });

  it('sorts folders first, then names as people read numbers', () => {
    const sorted = sortEntries([entry('/x/b10'), entry('/x/B2'), entry('/x/z', 'dir'), entry('/x/a1'), entry('/x/é', 'dir')]);
    expect(sorted.map((e) => e.name)).toEqual(['é', 'z', 'a1', 'B2', 'b10']);
  });

  it('shows a loading note until the root is read, then its entries', () => {
    expect(flattenTree(emptyTree)).toEqual([{ type: 'loading', key: '/\u0000loading', depth: 0, folder: '/', message: 'Loading…' }]);
    const t = withFolder(emptyTree, '/', { state: 'loaded', entries: root });
    const rows = flattenTree(t);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'entry', key: '/home', depth: 0, expanded: false, posinset: 1, setsize: 1 });
  });

  it('asks for a folder once, when it is first opened', () => {
    let t: TreeModel = withFolder(emptyTree, '/', { state: 'loaded', entries: root });
    expect(needsLoad(t, '/home')).toBe(false); // closed
    t = setExpanded(t, '/home', true);
    expect(needsLoad(t, '/home')).toBe(true);
    t = withFolder(t, '/home', { state: 'loading' });
    expect(needsLoad(t, '/home')).toBe(false);
    expect(flattenTree(t).map((r) => [r.type, r.depth])).toEqual([
      ['entry', 0],
      ['loading', 1],
    ]);
    expect(flattenTree(t)[0]).toMatchObject({ expanded: true, loading: true });
    t = withFolder(t, '/home', { state: 'loaded', entries: [entry('/home/me', 'dir', 0), entry('/home/notes ü +%.txt')] });
    t = setExpanded(t, '/home', false);
    t = setExpanded(t, '/home', true);
    expect(needsLoad(t, '/home')).toBe(false); // read once: kept
    t = withFolder(t, '/home', { state: 'error', message: 'no such folder' });
    expect(needsLoad(t, '/home')).toBe(true); // a failed read is tried again
  });

  it('nests open folders in order, with notes for empty and unreadable ones', () => {
    let t: TreeModel = withFolder(emptyTree, '/', { state: 'loaded', entries: [entry('/b.txt'), entry('/home', 'dir', 0), entry('/var', 'dir', 0)] });
    t = setExpanded(setExpanded(t, '/home', true), '/var', true);
    t = withFolder(t, '/home', { state: 'loaded', entries: [entry('/home/me', 'dir', 0), entry('/home/a.txt')] });
    t = setExpanded(t, '/home/me', true);
    t = withFolder(t, '/home/me', { state: 'loaded', entries: [] });
    t = withFolder(t, '/var', { state: 'error', message: 'boom' });
    const rows = flattenTree(t);
    expect(rows.map((r) => `${r.depth}:${r.type}:${r.type === 'entry' ? r.key : r.folder}`)).toEqual([
      '0:entry:/home',
      '1:entry:/home/me',
      '2:empty:/home/me',
      '1:entry:/home/a.txt',
      '0:entry:/var',
      '1:error:/var',
      '0:entry:/b.txt',
    ]);
    expect(rows[5]).toMatchObject({ message: 'boom' });
    expect(rowIndex(rows, '/home/a.txt')).toBe(3);
    expect(rowIndex(rows, '/nope')).toBe(-1);
    expect(parentRow(rows, 3)).toBe(0);
    expect(parentRow(rows, 0)).toBe(-1);
    // Closing a folder hides what is under it, and keeps it read.
    const closed = flattenTree(setExpanded(t, '/home', false));
    expect(closed.map((r) => r.key)).toEqual(['/home', '/var', '/var\u0000error', '/b.txt']);
  });

  it('opens the chain of lone folders', () => {
    expect(loneFolder([entry('/home', 'dir', 0)])?.path).toBe('/home');
    expect(loneFolder([entry('/home.txt')])).toBeNull();
    expect(loneFolder([entry('/a', 'dir', 0), entry('/b', 'dir', 0)])).toBeNull();
    expect(loneFolder([])).toBeNull();
  });

  it('stays a screenful of rows with 10,000 entries in a folder', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => entry(`/big/f-${i}.txt`));
    let t: TreeModel = withFolder(emptyTree, '/', { state: 'loaded', entries: [entry('/big', 'dir', 0), entry('/z.txt')] });
    t = withFolder(setExpanded(t, '/big', true), '/big', { state: 'loaded', entries: many });
    const started = performance.now();
    const rows = flattenTree(t);
    expect(performance.now() - started).toBeLessThan(500);
    expect(rows).toHaveLength(10_002);
    // Numbers in order: f-2 before f-10.
    expect(rows[1].key).toBe('/big/f-0.txt');
    expect(rows[3].key).toBe('/big/f-2.txt');
    expect(rows[10_001].key).toBe('/z.txt');
    expect(rows[10_000]).toMatchObject({ posinset: 10_000, setsize: 10_000, depth: 1 });
    for (const top of [0, 140_000, 279_000]) {
      const w = visibleWindow(rows.length, 28, top, 440, 10);
      expect(w.end - w.start).toBeLessThan(200);
    }
    expect(visibleWindow(rows.length, 28, 1e9, 440, 10).end).toBe(10_002);
  });
});

describe('the timeline', () => {
  const v = (content_id: string, size: number, snapshots: string[], first: string, last: string, kind: Version['kind'] = 'file'): Version => ({
    kind,
    size,
    mtime: first,
    content_id,
    snapshots,
    first_seen: first,
    last_seen: last,
  });

  it('lists versions newest first, each restorable from its last snapshot', () => {
    const rows = versionRows([
      v('c1', 1000, ['s1', 's2', 's3'], '2026-03-01T03:00:00Z', '2026-03-03T03:00:00Z'),
      v('c2', 2536, ['s4'], '2026-03-04T03:00:00Z', '2026-03-04T03:00:00Z'),
      v('c3', 2536, ['s5', 's6'], '2026-03-05T03:00:00Z', '2026-03-06T03:00:00Z'),
    ]);
    expect(rows.map((r) => r.version.content_id)).toEqual(['c3', 'c2', 'c1']);
    expect(rows.map((r) => r.snapshot)).toEqual(['s6', 's4', 's3']);
    expect(rows.map((r) => r.countText)).toEqual(['2 snapshots', '1 snapshot', '3 snapshots']);
    expect(rows.map((r) => r.change)).toEqual(['same size', '+1.5 KiB', '']);
    expect(rows.map((r) => r.latest)).toEqual([true, false, false]);
    expect(rows[1].seen).not.toContain('→');
    expect(rows[0].seen).toContain('→');
    expect(rows[0].sizeText).toBe('2.48 KiB');
  });

  it('shows shrinking files and other kinds', () => {
    const rows = versionRows([
      v('a', 300, ['s1'], '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z'),
      v('b', 100, ['s2'], '2026-03-02T00:00:00Z', '2026-03-02T00:00:00Z'),
      v('c', 0, ['s3'], '2026-03-03T00:00:00Z', '2026-03-03T00:00:00Z', 'symlink'),
    ]);
    expect(rows.map((r) => r.change)).toEqual(['', '−200 B', '']);
    expect(rows[0].sizeText).toBe('link');
    expect(versionRows([])).toEqual([]);
  });
});

describe('restore', () => {
  it('makes the request, the target an absolute folder', () => {
    expect(restoreRequest(repo, 'snap', '/home/me/a b ü+%.txt', ' /tmp/out ')).toEqual({
      request: { profile: 'garage', repo: 's3://backups/laptop/', snapshot: 'snap', path: '/home/me/a b ü+%.txt', target: '/tmp/out', overwrite: 'never' },
    });
    expect(restoreRequest(repo, 'snap', '', '/tmp/out', 'always')).toMatchObject({ request: { path: '', overwrite: 'always' } });
    expect(restoreRequest(repo, 'snap', '', '  ')).toMatchObject({ field: 'target' });
    expect(restoreRequest(repo, 'snap', '', 'out')).toMatchObject({ field: 'target' });
  });

  it('tells a refusal to overwrite from other errors', () => {
    expect(isWouldOverwrite(new ApiError('would_overwrite', 'differs: /t/a.txt', 409))).toBe(true);
    expect(isWouldOverwrite({ code: 'would_overwrite', message: 'x' })).toBe(true);
    expect(isWouldOverwrite(new ApiError('forbidden', 'outside', 403))).toBe(false);
  });

  it('says what a restore did', () => {
    const o = { snapshot: 's', files_restored: 3, files_unchanged: 1, files_replaced: 1, dirs_restored: 2, bytes_restored: 2048, resumed: false };
    expect(restoreText(o)).toBe('3 files restored (2 KiB), 1 unchanged, 1 replaced, 2 folders');
    expect(restoreText({ ...o, files_restored: 1, files_unchanged: 0, files_replaced: 0, dirs_restored: 0, resumed: true })).toBe('1 file restored (2 KiB), resumed');
  });

  it('names its one-off job with a valid job id, and finds the job by id or by what it restores', () => {
    const a = newRestoreId(1_700_000_000_000);
    const b = newRestoreId(1_700_000_000_000);
    expect(isJobId(a)).toBe(true);
    expect(a).not.toBe(b);
    const request = { profile: 'p', repo: 's3://b/', snapshot: 'snap', path: '/a', target: '/t', overwrite: 'never' as const };
    expect(isRestoreJob(job({ id: a, kind: 'restore' }), a, request)).toBe(true);
    const params = { profile: 'p', repo: 's3://b/', snapshot: 'snap', path: '/a', target: '/t' };
    expect(isRestoreJob(job({ id: 'other', kind: 'restore', oneoff: true, params }), a, request)).toBe(true);
    expect(isRestoreJob(job({ id: 'other', kind: 'restore', oneoff: true, params: { ...params, path: '/b' } }), a, request)).toBe(false);
    expect(isRestoreJob(job({ id: 'other', kind: 'backup', params }), a, request)).toBe(false);
  });
});

describe('retention, prune, check', () => {
  const s = (id: string) => ({ id, short_id: id, time: '2026-03-01T00:00:00Z', hostname: 'h', paths: [], tags: [], parent: null, summary: null });

  it('counts what stays and what goes', () => {
    const decisions = [
      { snapshot: s('a'), keep: true, reasons: ['last'] },
      { snapshot: s('b'), keep: false, reasons: [] },
      { snapshot: s('c'), keep: false, reasons: [] },
    ];
    expect(forgetSummary({ forget: { decisions, removed: 0, dry_run: true }, prune: null })).toEqual({ kept: 1, removed: 2, text: '2 snapshots would go, 1 stays.' });
    expect(forgetSummary({ forget: { decisions, removed: 2, dry_run: false }, prune: null }).text).toBe('Removed 2 snapshots; 1 stays.');
  });

  it('words prune and check', () => {
    const p = { packs_removed: 3, packs_repacked: 1, packs_kept: 10, bytes_freed: 12 * 1024 * 1024, repo_size: 1024 ** 3, dry_run: true };
    expect(pruneText(p)).toBe('Would free 12 MiB: 3 packs removed, 1 repacked, 10 kept; the repository is 1 GiB.');
    expect(pruneText({ ...p, dry_run: false })).toMatch(/^Freed 12 MiB/);
    expect(checkText({ ok: true, findings: [], read_data: null })).toBe('No errors; structure only.');
    const warning = { level: 'warning', message: 'odd', pack: null, snapshots: [], files: [] };
    expect(checkText({ ok: true, findings: [warning], read_data: '10%' })).toBe('No errors (1 warning); read 10% of the data.');
    expect(checkText({ ok: false, findings: [{ ...warning, level: 'error' }, { ...warning, level: 'error' }], read_data: null })).toBe('2 errors found; structure only.');
  });
});
