// The backups page's state over a transport whose other end the test plays: one `ls`
// per opened folder (and the chain of lone folders at once), answers of an older
// snapshot dropped, the selected file's timeline, a restore's progress from its job's
// events, snapshots reloaded when a backup into the open repository ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { Backups } from './backups.svelte';
import { flattenTree, keyOfRepo } from './backups';
import { ApiError } from './errors';
import type { EventHandlers, JsonRequest, Transport } from './transport';
import type { BackupEntry, Job, JobEvent, Progress, RepoRecord, SnapshotInfo } from './types';

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
  emit(data: JobEvent): void {
    for (const h of this.handlers) h.onEvent({ stream: 'job', data });
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function later<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const repo: RepoRecord = { profile: 'p', url: 's3://b/r/', append_only: false, repo_id: 'id', added: '2026-03-01T00:00:00Z' };

const snap = (id: string): SnapshotInfo => ({
  id,
  short_id: id.slice(0, 8),
  time: '2026-03-01T00:00:00Z',
  hostname: 'h',
  paths: ['/home/me'],
  tags: [],
  parent: null,
  summary: null,
});

const dir = (path: string): BackupEntry => ({ path, name: path.slice(path.lastIndexOf('/') + 1), kind: 'dir', size: 0, mtime: null, mode: null, link_target: null });
const file = (path: string, size = 5): BackupEntry => ({ ...dir(path), kind: 'file', size });

/** A snapshot's tree, by folder. */
const TREE: Record<string, BackupEntry[]> = {
  '/': [dir('/home')],
  '/home': [dir('/home/me')],
  '/home/me': [dir('/home/me/docs'), file('/home/me/a b+%ü.txt')],
  '/home/me/docs': [file('/home/me/docs/n.txt')],
};

function job(patch: Partial<Job>): Job {
  return {
    id: 'j',
    kind: 'backup',
    name: 'j',
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

function setup(answer: Answer = () => null) {
  const t = new FakeTransport((r) => {
    if (r.path === '/api/v1/backups/repos' && r.method === 'GET') return [repo];
    if (r.path === '/api/v1/backups/snapshots') return [snap('s1'.padEnd(64, '0')), snap('s2'.padEnd(64, '0'))];
    if (r.path === '/api/v1/jobs' && r.method === 'GET') return [];
    if (r.path === '/api/v1/jobs/kinds') return ['backup'];
    return answer(r);
  });
  const backups = new Backups(new CofferApi(t));
  return { t, backups };
}

const lsCalls = (t: FakeTransport) => t.requests.filter((r) => r.path === '/api/v1/backups/ls').map((r) => r.query?.path);

async function opened() {
  const s = setup((r) => (r.path === '/api/v1/backups/ls' ? TREE[r.query?.path ?? ''] : r.path === '/api/v1/backups/timeline' ? [] : null));
  s.backups.start();
  await tick();
  s.backups.openRepo(keyOfRepo(repo));
  await tick();
  return s;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Backups', () => {
  it('loads repositories and jobs, and a repository’s snapshots', async () => {
    const { t, backups } = await opened();
    expect(backups.reposLoaded).toBe(true);
    expect(backups.repos).toEqual([repo]);
    expect(backups.jobs.loaded).toBe(true);
    expect(backups.current).toEqual(repo);
    expect(backups.snapshots).toHaveLength(2);
    expect(t.requests.find((r) => r.path === '/api/v1/backups/snapshots')?.query).toEqual({ profile: 'p', repo: 's3://b/r/' });
    backups.stop();
  });

  it('opens a snapshot down the chain of lone folders, one ls per folder', async () => {
    const { t, backups } = await opened();
    backups.openSnapshot('s1');
    await tick(5);
    expect(lsCalls(t)).toEqual(['/', '/home', '/home/me']);
    expect(t.requests.find((r) => r.path === '/api/v1/backups/ls')?.query).toEqual({ profile: 'p', repo: 's3://b/r/', snapshot: 's1', path: '/' });
    const rows = flattenTree(backups.tree);
    expect(rows.map((r) => `${r.depth}:${r.key}`)).toEqual(['0:/home', '1:/home/me', '2:/home/me/docs', '2:/home/me/a b+%ü.txt']);
    // docs: one ls when opened, none when opened again.
    backups.toggle('/home/me/docs');
    await tick();
    backups.toggle('/home/me/docs');
    backups.toggle('/home/me/docs');
    await tick();
    expect(lsCalls(t)).toEqual(['/', '/home', '/home/me', '/home/me/docs']);
    expect(flattenTree(backups.tree).map((r) => r.key)).toContain('/home/me/docs/n.txt');
    backups.stop();
  });

  it('drops a folder answer of a snapshot closed meanwhile', async () => {
    const slow = later<BackupEntry[]>();
    const { backups } = setup((r) => (r.path === '/api/v1/backups/ls' ? (r.query?.snapshot === 'old' ? slow.promise : [file('/new.txt')]) : null));
    backups.start();
    await tick();
    backups.openRepo(keyOfRepo(repo));
    await tick();
    backups.openSnapshot('old');
    await tick();
    backups.openSnapshot('new');
    await tick();
    slow.resolve([file('/old.txt')]);
    await tick();
    expect(flattenTree(backups.tree).map((r) => r.key)).toEqual(['/new.txt']);
    backups.stop();
  });

  it('shows why a folder could not be read, and asks again when reopened', async () => {
    let fail = true;
    const { t, backups } = setup((r) => {
      if (r.path !== '/api/v1/backups/ls') return null;
      if (r.query?.path === '/') return [dir('/a'), dir('/b')];
      if (fail) return new ApiError('not_found', 'no `/a` in snapshot s1', 404);
      return [file('/a/x')];
    });
    backups.start();
    await tick();
    backups.openRepo(keyOfRepo(repo));
    await tick();
    backups.openSnapshot('s1');
    await tick();
    backups.toggle('/a');
    await tick();
    expect(flattenTree(backups.tree)[1]).toMatchObject({ type: 'error', message: 'no `/a` in snapshot s1' });
    fail = false;
    backups.toggle('/a');
    backups.toggle('/a');
    await tick();
    expect(flattenTree(backups.tree)[1]).toMatchObject({ type: 'entry', key: '/a/x' });
    expect(lsCalls(t)).toEqual(['/', '/a', '/a']);
    backups.stop();
  });

  it('loads the timeline of a selected file, not of a folder', async () => {
    const { t, backups } = await opened();
    backups.openSnapshot('s1');
    await tick(5);
    backups.select(dir('/home/me/docs'));
    await tick();
    expect(t.requests.filter((r) => r.path === '/api/v1/backups/timeline')).toHaveLength(0);
    backups.select(file('/home/me/a b+%ü.txt'));
    await tick();
    expect(t.requests.filter((r) => r.path === '/api/v1/backups/timeline').map((r) => r.query)).toEqual([
      { profile: 'p', repo: 's3://b/r/', path: '/home/me/a b+%ü.txt' },
    ]);
    expect(backups.timelinePath).toBe('/home/me/a b+%ü.txt');
    expect(backups.timelineLoaded).toBe(true);
    backups.stop();
  });

  it('follows a restore’s progress on its job’s events and remembers the target', async () => {
    const storage = new Map<string, string>();
    vi.stubGlobal('localStorage', { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => storage.set(k, v) });
    const answer = later<unknown>();
    const { t, backups } = setup((r) => (r.path === '/api/v1/backups/restore' ? answer.promise : null));
    backups.start();
    const request = { profile: 'p', repo: 's3://b/r/', snapshot: 's1', path: '/home/me/a.txt', target: '/tmp/out', overwrite: 'never' as const };
    const done = backups.restore(request);
    await tick();
    const sent = t.requests.find((r) => r.path === '/api/v1/backups/restore');
    const id = sent?.headers?.['x-coffer-job-id'] as string;
    expect(id).toMatch(/^restore-/);
    expect(backups.restoring).toMatchObject({ id, progress: null });
    const progress: Progress = { operation: 'restore', bytes_done: 5, bytes_total: 10, bytes_resumed: 0, items_done: 1, items_total: 2, rate: 0, eta: null, elapsed: 1, finished: false };
    t.emit({ kind: 'progress', job: job({ id, kind: 'restore', oneoff: true, state: 'running', progress }) });
    expect(backups.restoring?.progress).toEqual(progress);
    // Someone else's job changes nothing.
    t.emit({ kind: 'progress', job: job({ id: 'other', kind: 'restore', oneoff: true, params: { path: '/x' }, progress: { ...progress, bytes_done: 9 } }) });
    expect(backups.restoring?.progress?.bytes_done).toBe(5);
    answer.resolve({ snapshot: 's1', files_restored: 1, files_unchanged: 0, files_replaced: 0, dirs_restored: 0, bytes_restored: 10, resumed: false });
    expect(await done).toMatchObject({ files_restored: 1 });
    expect(backups.restoring).toBeNull();
    expect(backups.target).toBe('/tmp/out');
    expect(storage.get('coffer.restoreTarget')).toBe('/tmp/out');
    backups.stop();
  });

  it('rejects a refused restore with the API’s code and keeps the old target', async () => {
    const { backups } = setup((r) =>
      r.path === '/api/v1/backups/restore' ? new ApiError('would_overwrite', '/tmp/out/a.txt differs: pick if-changed or always', 409) : null,
    );
    const request = { profile: 'p', repo: 's3://b/r/', snapshot: 's1', path: '/a.txt', target: '/tmp/out', overwrite: 'never' as const };
    await expect(backups.restore(request)).rejects.toMatchObject({ code: 'would_overwrite' });
    expect(backups.restoring).toBeNull();
    expect(backups.target).toBe('');
  });

  it('reloads the snapshots when a backup into the open repository ends', async () => {
    const { t, backups } = await opened();
    const count = () => t.requests.filter((r) => r.path === '/api/v1/backups/snapshots').length;
    expect(count()).toBe(1);
    t.emit({ kind: 'done', job: job({ state: 'done', params: { profile: 'p', repo: 's3://other/' } }) });
    t.emit({ kind: 'progress', job: job({ state: 'running', params: { profile: 'p', repo: 's3://b/r/' } }) });
    await tick();
    expect(count()).toBe(1);
    t.emit({ kind: 'done', job: job({ state: 'done', params: { profile: 'p', repo: 's3://b/r/' } }) });
    await tick();
    expect(count()).toBe(2);
    backups.stop();
  });

  it('adds a repository to the list at once', async () => {
    const added: RepoRecord = { ...repo, url: 's3://new/' };
    const { backups } = setup((r) => (r.path === '/api/v1/backups/repos' && r.method === 'POST' ? added : null));
    await backups.addRepo({ profile: 'p', repo: 's3://new/', password: 'x', create: true, append_only: false });
    expect(backups.repos.map((r) => r.url)).toContain('s3://new/');
  });

  it('adds a backup job to the list at once', async () => {
    const created = job({ id: 'new', state: 'queued' });
    const { t, backups } = setup((r) => (r.path === '/api/v1/jobs' && r.method === 'POST' ? created : null));
    await backups.createJob({ kind: 'backup', params: { paths: ['/x'] }, run_now: false });
    expect(t.requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/jobs', body: { kind: 'backup', run_now: false } });
    expect(backups.jobs.jobs.get('new')).toEqual(created);
  });
});
