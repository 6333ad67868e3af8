// The backups page's state: backup jobs (a Jobs list of its own, filtered to kind
// `backup` by the page), the repositories, the snapshot browser (a repository, its
// snapshots, the lazy tree of one snapshot, the selected file's timeline) and the
// restore under way, kept live by job events. The model is in backups.ts.

import type { CofferApi } from './api';
import {
  dirKey,
  emptyTree,
  findRepo,
  isRestoreJob,
  keyOfRepo,
  loneFolder,
  needsLoad,
  newRestoreId,
  setExpanded,
  withFolder,
  type TreeModel,
} from './backups';
import { describeError } from './errors';
import { Jobs } from './jobs.svelte';
import { upsertJob } from './jobs';
import type {
  AddRepo,
  ApiEvent,
  BackupEntry,
  CheckOutcome,
  ForgetAnswer,
  Job,
  KeepPolicy,
  NewJob,
  Progress,
  PruneOutcome,
  RepoRecord,
  RestoreOutcome,
  RestoreRequest,
  SnapshotInfo,
  Version,
} from './types';

export type BackupsTab = 'jobs' | 'repos' | 'snapshots';

const LAST_TARGET = 'coffer.restoreTarget';

function rememberedTarget(): string {
  try {
    return localStorage.getItem(LAST_TARGET) ?? '';
  } catch {
    return '';
  }
}

/** A restore in flight: its one-off job's id and progress. */
export interface Restoring {
  id: string;
  request: RestoreRequest;
  progress: Progress | null;
}

export class Backups {
  readonly jobs: Jobs;
  tab = $state<BackupsTab>('jobs');

  repos = $state.raw<RepoRecord[]>([]);
  reposLoaded = $state(false);
  reposLoading = $state(false);
  reposError = $state<string | null>(null);

  /** The snapshot browser's repository (a `repoKey`, `""` for none). */
  repo = $state('');
  snapshots = $state.raw<SnapshotInfo[]>([]);
  snapshotsLoaded = $state(false);
  snapshotsLoading = $state(false);
  snapshotsError = $state<string | null>(null);
  /** The open snapshot's full id. */
  snapshot = $state<string | null>(null);
  tree = $state.raw<TreeModel>(emptyTree);
  /** The selected entry's path. */
  selected = $state.raw<BackupEntry | null>(null);

  timelinePath = $state<string | null>(null);
  timeline = $state.raw<Version[]>([]);
  timelineLoaded = $state(false);
  timelineError = $state<string | null>(null);

  /** The last folder restored into (kept in localStorage). */
  target = $state(rememberedTarget());
  restoring = $state.raw<Restoring | null>(null);

  private unsubscribe: (() => void) | null = null;
  private reposCall = 0;
  private snapshotsCall = 0;
  private timelineCall = 0;
  /** Bumped when another snapshot opens: older folder answers are dropped. */
  private browse = 0;

  constructor(private readonly api: CofferApi) {
    this.jobs = new Jobs(api);
  }

  /** The snapshot browser's repository. */
  get current(): RepoRecord | null {
    return findRepo(this.repos, this.repo);
  }

  /** Loads jobs and repositories and follows events until `stop`. */
  start(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.api.subscribe({ onEvent: (e) => this.onEvent(e) });
    this.jobs.start();
    void this.loadRepos();
    if (this.repo) void this.loadSnapshots();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.jobs.stop();
  }

  private onEvent(e: ApiEvent): void {
    const { kind, job } = e.data;
    const r = this.restoring;
    if (r && isRestoreJob(job, r.id, r.request)) {
      this.restoring = { ...r, progress: job.progress ?? r.progress };
      return;
    }
    // A backup into the open repository made a snapshot.
    const repo = this.current;
    if (kind === 'done' && job.kind === 'backup' && repo && job.params.profile === repo.profile && job.params.repo === repo.url) {
      void this.loadSnapshots();
    }
  }

  // --- repositories -------------------------------------------------------------------

  async loadRepos(): Promise<void> {
    const call = ++this.reposCall;
    this.reposLoading = true;
    try {
      const repos = await this.api.backupRepos();
      if (call !== this.reposCall) return;
      this.repos = repos;
      this.reposError = null;
      this.reposLoaded = true;
    } catch (e) {
      if (call === this.reposCall) this.reposError = describeError(e);
    } finally {
      if (call === this.reposCall) this.reposLoading = false;
    }
  }

  /** Creates or connects a repository; rejects with the API's error (the form shows
   * it as it is). */
  async addRepo(request: AddRepo): Promise<RepoRecord> {
    const record = await this.api.addBackupRepo(request);
    const key = keyOfRepo(record);
    this.repos = [...this.repos.filter((r) => keyOfRepo(r) !== key), record];
    void this.loadRepos();
    return record;
  }

  // --- jobs ---------------------------------------------------------------------------

  /** Adds a backup job; rejects with the API's error (a 400 names the field). */
  async createJob<P extends object>(job: NewJob<P>): Promise<Job> {
    const created = await this.api.createJob(job);
    this.jobs.jobs = upsertJob(this.jobs.jobs, created);
    return created;
  }

  // --- the snapshot browser -----------------------------------------------------------

  /** Shows a repository's snapshots (`""`: none). */
  openRepo(key: string): void {
    if (key === this.repo && this.snapshotsLoaded) return;
    this.repo = key;
    this.snapshots = [];
    this.snapshotsLoaded = false;
    this.snapshotsError = null;
    this.closeSnapshot();
    if (key) void this.loadSnapshots();
  }

  async loadSnapshots(): Promise<void> {
    const repo = this.current;
    if (!repo) return;
    const call = ++this.snapshotsCall;
    this.snapshotsLoading = true;
    try {
      const list = await this.api.snapshots(repo.profile, repo.url);
      if (call !== this.snapshotsCall) return;
      this.snapshots = list;
      this.snapshotsError = null;
      this.snapshotsLoaded = true;
      if (this.snapshot && !list.some((s) => s.id === this.snapshot)) this.closeSnapshot();
    } catch (e) {
      if (call === this.snapshotsCall) {
        this.snapshotsError = describeError(e);
        this.snapshotsLoaded = true;
      }
    } finally {
      if (call === this.snapshotsCall) this.snapshotsLoading = false;
    }
  }

  closeSnapshot(): void {
    this.browse++;
    this.snapshot = null;
    this.tree = emptyTree;
    this.select(null);
  }

  /** Opens a snapshot at its root, and down the chain of lone folders to what was
   * backed up (`/home` → `/home/me` → …): one `ls` per folder. */
  openSnapshot(id: string): void {
    this.closeSnapshot();
    this.snapshot = id;
    void this.loadFolder('/', true);
  }

  /** Opens or closes a folder; the first opening asks for its entries. */
  toggle(path: string, open?: boolean): void {
    const key = dirKey(path);
    const next = open ?? !this.tree.expanded.has(key);
    this.tree = setExpanded(this.tree, key, next);
    if (next && needsLoad(this.tree, key)) void this.loadFolder(key, false);
  }

  private async loadFolder(path: string, chain: boolean): Promise<void> {
    const repo = this.current;
    const snapshot = this.snapshot;
    if (!repo || !snapshot) return;
    const gen = this.browse;
    const key = dirKey(path);
    this.tree = withFolder(this.tree, key, { state: 'loading' });
    try {
      const entries = await this.api.snapshotFolder(repo.profile, repo.url, snapshot, key);
      if (gen !== this.browse) return;
      this.tree = withFolder(this.tree, key, { state: 'loaded', entries });
      const lone = chain ? loneFolder(entries) : null;
      if (lone) {
        this.tree = setExpanded(this.tree, lone.path, true);
        await this.loadFolder(lone.path, true);
      }
    } catch (e) {
      if (gen === this.browse) this.tree = withFolder(this.tree, key, { state: 'error', message: describeError(e) });
    }
  }

  /** Selects an entry; a file's timeline loads. */
  select(entry: BackupEntry | null): void {
    this.selected = entry;
    if (entry && entry.kind !== 'dir') void this.loadTimeline(entry.path);
    else {
      this.timelineCall++;
      this.timelinePath = null;
      this.timeline = [];
      this.timelineLoaded = false;
      this.timelineError = null;
    }
  }

  async loadTimeline(path: string): Promise<void> {
    const repo = this.current;
    if (!repo) return;
    const call = ++this.timelineCall;
    this.timelinePath = path;
    this.timeline = [];
    this.timelineLoaded = false;
    this.timelineError = null;
    try {
      const versions = await this.api.timeline(repo.profile, repo.url, path);
      if (call !== this.timelineCall) return;
      this.timeline = versions;
    } catch (e) {
      if (call === this.timelineCall) this.timelineError = describeError(e);
    } finally {
      if (call === this.timelineCall) this.timelineLoaded = true;
    }
  }

  // --- restore and maintenance --------------------------------------------------------

  /** Restores, following the one-off job's progress; rejects with the API's error
   * (`would_overwrite` names the files). The target is remembered. */
  async restore(request: RestoreRequest): Promise<RestoreOutcome> {
    const id = newRestoreId();
    this.restoring = { id, request, progress: null };
    try {
      const outcome = await this.api.restore(request, id);
      this.target = request.target;
      try {
        localStorage.setItem(LAST_TARGET, request.target);
      } catch {
        /* not remembered */
      }
      return outcome;
    } finally {
      if (this.restoring?.id === id) this.restoring = null;
    }
  }

  forget(repo: RepoRecord, keep: KeepPolicy, prune: boolean, dryRun: boolean): Promise<ForgetAnswer> {
    return this.api.forget(repo.profile, repo.url, keep, prune, dryRun).then((answer) => {
      if (!dryRun && keyOfRepo(repo) === this.repo) void this.loadSnapshots();
      return answer;
    });
  }

  prune(repo: RepoRecord, dryRun: boolean): Promise<PruneOutcome> {
    return this.api.prune(repo.profile, repo.url, dryRun);
  }

  check(repo: RepoRecord, readDataSubset?: string): Promise<CheckOutcome> {
    return this.api.check(repo.profile, repo.url, readDataSubset);
  }
}
