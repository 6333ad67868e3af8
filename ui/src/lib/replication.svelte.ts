// The replication page's state: every replication job with its status, polled every
// 2 s while the page is shown and the window visible (the status is not on the event
// stream; job events only bring state changes sooner), the drills run from the page,
// and the calls of its buttons. The model is in replication.ts.

import type { CofferApi } from './api';
import { describeError } from './errors';
import {
  removeReplication,
  withJobEvent,
  type CostPreview,
  type CostPreviewRequest,
  type DrillReport,
  type RemoveOptions,
  type ReplicaTimeline,
  type ReplicateParams,
  type ReplicationJob,
  type ReplicationRestoreReport,
  type ReplicationRestoreRequest,
} from './replication';
import { toasts } from './toasts.svelte';
import type { ApiEvent, Job, NewJob } from './types';

/** The buttons of a job card that are job actions. */
export type ReplicationAction = 'pause' | 'resume' | 'run' | 'retry';

const VERBS: Record<ReplicationAction, string> = { pause: 'pause', resume: 'resume', run: 'start', retry: 'restart' };

export interface ReplicationOptions {
  /** Between two polls, ms. */
  interval?: number;
  remove?: RemoveOptions;
}

function visible(): boolean {
  return typeof document === 'undefined' || document.visibilityState !== 'hidden';
}

export class Replication {
  list = $state.raw<readonly ReplicationJob[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  /** When the list was last answered: relative times count from it. */
  now = $state(Date.now());
  /** Drills run from this page, by job id, until the status has them. */
  drills = $state.raw<ReadonlyMap<string, DrillReport[]>>(new Map());
  drilling = $state.raw<ReadonlySet<string>>(new Set());
  drillErrors = $state.raw<ReadonlyMap<string, string>>(new Map());

  private active = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every poll, stop and hide: an older poll schedules no next one. */
  private polls = 0;
  private listCall = 0;
  private unsubscribe: (() => void) | null = null;
  private readonly interval: number;

  constructor(
    private readonly api: CofferApi,
    private readonly options: ReplicationOptions = {},
  ) {
    this.interval = options.interval ?? 2000;
  }

  /** Loads the list and polls it until `stop`, pausing while the window is hidden. */
  start(): void {
    this.stop();
    this.active = true;
    this.unsubscribe = this.api.subscribe({ onEvent: (e) => this.onEvent(e) });
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.onVisibility);
    void this.poll();
  }

  stop(): void {
    this.active = false;
    this.polls++;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private readonly onVisibility = () => {
    if (visible()) void this.poll();
    else {
      this.polls++;
      clearTimeout(this.timer);
    }
  };

  /** Loads the list now, then again every `interval` while active and visible. */
  async poll(): Promise<void> {
    const poll = ++this.polls;
    clearTimeout(this.timer);
    if (!this.active || !visible()) return;
    await this.reload();
    if (poll === this.polls && this.active && visible()) {
      this.timer = setTimeout(() => void this.poll(), this.interval);
    }
  }

  async reload(): Promise<void> {
    const call = ++this.listCall;
    this.loading = true;
    try {
      const list = await this.api.replicationJobs();
      if (call !== this.listCall) return;
      this.list = list;
      this.now = Date.now();
      this.error = null;
      this.loaded = true;
    } catch (e) {
      if (call === this.listCall) this.error = describeError(e);
    } finally {
      if (call === this.listCall) this.loading = false;
    }
  }

  private onEvent(e: ApiEvent): void {
    const next = withJobEvent(this.list, e.data);
    if (next === null) void this.reload();
    else this.list = next;
  }

  find(id: string): ReplicationJob | null {
    return this.list.find((r) => r.job.id === id) ?? null;
  }

  /** Pause, resume, start or restart; a failure is a toast. */
  async act(job: Job, action: ReplicationAction): Promise<void> {
    try {
      const answer = await this.api.jobAction(job.id, action);
      this.list = this.list.map((r) => (r.job.id === answer.id ? { ...r, job: answer } : r));
    } catch (e) {
      toasts.error(e, `Cannot ${VERBS[action]} ${job.name}`);
    }
    void this.reload();
  }

  /** Adds a replication job (it starts at once); rejects with the API's error (a 400
   * names the field). */
  async create(job: NewJob<ReplicateParams>): Promise<Job> {
    const created = await this.api.createJob(job);
    await this.reload();
    return created;
  }

  /** Cancels, waits and deletes the job; rejects with the API's error. */
  async remove(job: Job): Promise<void> {
    await removeReplication(this.api, job, this.options.remove);
    this.list = this.list.filter((r) => r.job.id !== job.id);
    this.drills = without(this.drills, job.id);
    this.drillErrors = without(this.drillErrors, job.id);
    void this.reload();
  }

  /** A restore drill of every replica now; the reports (or the error) stay by the job. */
  async drill(id: string): Promise<void> {
    if (this.drilling.has(id)) return;
    this.drilling = new Set([...this.drilling, id]);
    this.drillErrors = without(this.drillErrors, id);
    try {
      const reports = await this.api.replicationDrill(id);
      this.drills = new Map([...this.drills, [id, reports]]);
    } catch (e) {
      this.drillErrors = new Map([...this.drillErrors, [id, describeError(e)]]);
    } finally {
      const still = new Set(this.drilling);
      still.delete(id);
      this.drilling = still;
    }
  }

  timeline(id: string): Promise<ReplicaTimeline[]> {
    return this.api.replicationTimeline(id);
  }

  restore(id: string, request: ReplicationRestoreRequest): Promise<ReplicationRestoreReport> {
    return this.api.replicationRestore(id, request);
  }

  preview(request: CostPreviewRequest): Promise<CostPreview> {
    return this.api.replicationPreview(request);
  }
}

function without<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}
