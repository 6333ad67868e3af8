// The jobs page's state: every job (jobs.ts keeps the list), the selected one and its
// history, kept live by job events, and the calls of its buttons.

import type { CofferApi, JobAction } from './api';
import { describeError, toApiError } from './errors';
import { applyJobEvent, hasHistory, mergeList, noJobs, orderedJobs, removeJob, upsertJob, type JobMap } from './jobs';
import { toasts } from './toasts.svelte';
import type { ApiEvent, Job, JobChange, JobEvent, RunRecord } from './types';

/** A 404 (HTTP) or `not_found` (the desktop's IPC has no status). */
function isNotFound(e: unknown): boolean {
  const error = toApiError(e);
  return error.status === 404 || error.code === 'not_found';
}

/** Events after which the selected job's history has a new or finished run. */
const RUN_EVENTS = new Set<JobEvent['kind']>(['started', 'done', 'failed', 'paused', 'canceled']);

const VERBS: Record<JobAction, string> = {
  run: 'run',
  pause: 'pause',
  resume: 'resume',
  cancel: 'cancel',
  retry: 'retry',
};

export class Jobs {
  jobs = $state.raw<JobMap>(noJobs);
  kinds = $state.raw<string[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);

  selected = $state<string | null>(null);
  history = $state.raw<RunRecord[]>([]);
  historyLoading = $state(false);
  historyError = $state<string | null>(null);

  /** Events seen per job: an answer that left before the last one is older than it. */
  private seen = new Map<string, number>();
  /** Jobs events touched while the list was loading (null when not loading). */
  private touched: Set<string> | null = null;
  private listCall = 0;
  private historyCall = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly api: CofferApi) {}

  /** Every job, oldest first (derive it in a component: it sorts). */
  get list(): Job[] {
    return orderedJobs(this.jobs);
  }

  get current(): Job | null {
    return this.selected ? (this.jobs.get(this.selected) ?? null) : null;
  }

  /** Loads the list and follows events until `stop`. */
  start(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.api.subscribe({
      onEvent: (e) => this.onEvent(e),
      // Reconnected: events may have been missed.
      onOpen: () => void this.reload(),
    });
    void this.reload();
    void this.loadKinds();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  async reload(): Promise<void> {
    const call = ++this.listCall;
    this.touched = new Set();
    this.loading = true;
    try {
      const list = await this.api.listJobs();
      if (call !== this.listCall) return;
      this.jobs = mergeList(list, this.jobs, this.touched);
      this.error = null;
      this.loaded = true;
    } catch (e) {
      if (call === this.listCall) this.error = describeError(e);
    } finally {
      if (call === this.listCall) {
        this.touched = null;
        this.loading = false;
      }
    }
    if (this.selected) void this.loadHistory(this.selected);
  }

  private async loadKinds(): Promise<void> {
    try {
      this.kinds = await this.api.jobKinds();
    } catch {
      /* the filter offers the kinds of the jobs there are */
    }
  }

  private onEvent(e: ApiEvent): void {
    const ev = e.data;
    const id = ev.job.id;
    this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
    this.touched?.add(id);
    this.jobs = applyJobEvent(this.jobs, ev);
    if (id !== this.selected) return;
    if (ev.kind === 'removed') this.select(null);
    else if (RUN_EVENTS.has(ev.kind)) void this.loadHistory(id);
  }

  /** An answer about a job: kept unless an event about it came after the call left. */
  private answered(job: Job, mark: number): void {
    if ((this.seen.get(job.id) ?? 0) === mark) this.jobs = upsertJob(this.jobs, job);
  }

  select(id: string | null): void {
    this.selected = id;
    this.history = [];
    this.historyError = null;
    if (id) void this.loadHistory(id);
    else this.historyCall++;
  }

  /** Loads a job's runs; none for a one-off transfer (it keeps no history). A job the
   * server no longer knows (404: removed meanwhile, its event on the way) has none. */
  async loadHistory(id: string): Promise<void> {
    const call = ++this.historyCall;
    const job = this.jobs.get(id);
    if (job && !hasHistory(job)) {
      this.history = [];
      this.historyError = null;
      this.historyLoading = false;
      return;
    }
    this.historyLoading = true;
    try {
      const runs = await this.api.jobHistory(id);
      if (call !== this.historyCall || id !== this.selected) return;
      this.history = runs;
      this.historyError = null;
    } catch (e) {
      if (call === this.historyCall && id === this.selected) {
        if (isNotFound(e)) {
          this.history = [];
          this.historyError = null;
        } else {
          this.historyError = describeError(e);
        }
      }
    } finally {
      if (call === this.historyCall) this.historyLoading = false;
    }
  }

  /** Run now, pause, resume, cancel, retry; a failure is a toast. */
  async act(job: Job, action: JobAction): Promise<void> {
    const mark = this.seen.get(job.id) ?? 0;
    try {
      this.answered(await this.api.jobAction(job.id, action), mark);
    } catch (e) {
      toasts.error(e, `Cannot ${VERBS[action]} ${job.name}`);
    }
  }

  /** `PUT /api/v1/jobs/{id}`; rejects with the API's error (a form shows it). */
  async update(job: Job, change: JobChange): Promise<Job> {
    const mark = this.seen.get(job.id) ?? 0;
    const answer = await this.api.updateJob(job.id, change);
    this.answered(answer, mark);
    return answer;
  }

  /** The enabled switch; a failure is a toast. */
  async setEnabled(job: Job, enabled: boolean): Promise<void> {
    try {
      await this.update(job, { enabled });
    } catch (e) {
      toasts.error(e, `Cannot ${enabled ? 'enable' : 'disable'} ${job.name}`);
    }
  }

  /** Removes a job and its history; rejects with the API's error. */
  async remove(job: Job): Promise<void> {
    await this.api.deleteJob(job.id);
    this.jobs = removeJob(this.jobs, job.id);
    if (this.selected === job.id) this.select(null);
  }
}
