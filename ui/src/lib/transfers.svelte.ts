// The transfer queue as the UI sees it: one model (queue.ts) fed by server upload and
// download jobs (one-off ones too), their events and this browser's own transfers,
// with the actions of each row.

import type { CofferApi } from './api';
import { browserDownloadTasks, type DownloadItem } from './browser-download';
import { uploadTasks, type PickedFile, type UploadOptions, type UploadTarget } from './browser-upload';
import { notifyChanged } from './changes';
import { LocalRunner } from './local-runner';
import { localBaseName } from './paths';
import {
  applyEvent,
  applyJobs,
  clearable,
  emptyQueue,
  FINISHED,
  orderedRows,
  removeRows,
  summarize,
  transferOf,
  upsertJobs,
  type Queue,
  type QueueRow,
} from './queue';
import { toasts } from './toasts.svelte';
import { chooseFolder, pathKinds } from './transport-tauri';
import type { ApiEvent, Job, JobEvent, TransferParams } from './types';

/** A dropped local path and the key it goes to (a folder's ends in `/`). */
export interface PathUpload {
  path: string;
  name: string;
  folder: boolean;
  key: string;
}

export type RowAction = 'run' | 'pause' | 'resume' | 'cancel' | 'retry' | 'clear';

export class Transfers {
  queue = $state.raw<Queue>(emptyQueue);

  /** The rows in queue order (derive it in a component: it sorts). */
  get rows(): QueueRow[] {
    return orderedRows(this.queue);
  }

  get summary() {
    return summarize(this.queue);
  }

  /** Say so with a system notification when a transfer ends (settings). */
  notifications = false;

  private runner: LocalRunner;
  private unsubscribe: (() => void) | null = null;
  /** Browser uploads cleared here: the server's one-off jobs of the same ids are gone
   * for this tab too (deleted, or deleted once they end). */
  private cleared = new Set<string>();

  constructor(private readonly api: CofferApi) {
    this.runner = new LocalRunner((change) => {
      this.queue = change(this.queue);
    });
  }

  /** Browser files can be uploaded (file pickers, HTML5 drop); the desktop app
   * takes paths from the OS drop instead. */
  get canUploadFiles(): boolean {
    return !this.api.desktop;
  }

  start(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.api.subscribe({
      onEvent: (e) => this.onEvent(e),
      onOpen: () => void this.reloadJobs(),
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  async reloadJobs(): Promise<void> {
    try {
      // Await first: the queue may change meanwhile (read it after, not before).
      const jobs = await this.api.listJobs();
      const shown: Job[] = [];
      for (const job of jobs) {
        if (!this.cleared.has(job.id)) shown.push(job);
        else if (FINISHED.includes(job.state)) this.forgetServerJob(job.id);
      }
      this.queue = applyJobs(this.queue, shown);
    } catch {
      /* an API without jobs: only local transfers */
    }
  }

  private onEvent(e: ApiEvent): void {
    const { kind, job } = e.data;
    // This browser's own upload (a one-off job with its row's id): the runner reports
    // it, and says when it is done.
    if (this.runner.has(job.id)) return;
    if (this.cleared.has(job.id)) {
      // Cleared before the server saw its end: remove it now that it ended.
      if (kind === 'removed') this.cleared.delete(job.id);
      else if (kind === 'done' || kind === 'failed' || kind === 'canceled') this.forgetServerJob(job.id);
      return;
    }
    this.queue = applyEvent(this.queue, e);
    // Sent once at the end of each run, never dropped.
    if (kind === 'done' || kind === 'failed') this.finished(e.data);
  }

  /** A run of an upload or download job ended (other kinds are not transfers). A
   * one-off one (another client's upload) reloads the listing but is not worth a
   * system notification: its client tells its user. */
  private finished({ kind, job }: JobEvent): void {
    const t = transferOf(job);
    if (!t) return;
    if (t.direction === 'upload' && kind === 'done') {
      notifyChanged({ profile: t.profile, bucket: t.bucket, key: t.key });
    }
    if (job.oneoff) return;
    const verb = t.direction === 'upload' ? 'Upload' : 'Download';
    this.notify(kind === 'done' ? `${verb} finished: ${t.key}` : `${verb} failed: ${t.key}`);
  }

  private notify(text: string): void {
    if (!this.notifications || typeof Notification === 'undefined') return;
    if (document.visibilityState === 'visible') return;
    if (Notification.permission === 'granted') new Notification('Coffer', { body: text });
  }

  private addJobs(jobs: Job[]): void {
    this.queue = upsertJobs(this.queue, jobs);
  }

  // --- starting transfers -----------------------------------------------------

  /** Browser: uploads picked or dropped files under the target prefix. */
  uploadFiles(target: UploadTarget, files: PickedFile[], options: UploadOptions = {}): void {
    if (files.length === 0) return;
    const tasks = uploadTasks(
      target,
      files,
      (key) => notifyChanged({ profile: target.profile, bucket: target.bucket, key }),
      options,
    );
    this.runner.add(tasks);
  }

  /** Desktop: the keys dropped local files and folders go to. A folder's key is the
   * prefix plus its name and `/`; the server keeps its structure. */
  async planPaths(target: UploadTarget, paths: string[]): Promise<PathUpload[]> {
    if (paths.length === 0) return [];
    const kinds = await pathKinds(paths);
    return paths.map((path, i) => {
      const name = localBaseName(path);
      const folder = kinds ? kinds[i] === 'dir' : /[\\/]$/.test(path);
      return { path, name, folder, key: target.prefix + name + (folder ? '/' : '') };
    });
  }

  /** Desktop: uploads planned paths as server jobs (`no_rules` skips the rules). */
  async uploadPlanned(target: UploadTarget, planned: PathUpload[], options: UploadOptions = {}): Promise<void> {
    const jobs: Job[] = [];
    for (const { path, name, key } of planned) {
      const params: TransferParams = { profile: target.profile, bucket: target.bucket, key, path };
      if (options.noRules) params.no_rules = true;
      try {
        jobs.push(await this.api.createTransferJob('upload', params));
      } catch (e) {
        toasts.error(e, `Cannot upload ${name}`);
      }
    }
    this.addJobs(jobs);
  }

  /** Desktop: uploads dropped local files and folders as server jobs. */
  async uploadPaths(target: UploadTarget, paths: string[], options: UploadOptions = {}): Promise<void> {
    await this.uploadPlanned(target, await this.planPaths(target, paths), options);
  }

  /** Downloads objects and folders: server jobs into a chosen folder on the desktop,
   * the browser's own downloads otherwise. */
  async download(profile: string, bucket: string, items: DownloadItem[], sizes: ReadonlyMap<string, number>): Promise<void> {
    if (items.length === 0) return;
    if (this.api.desktop) {
      const folder = await chooseFolder();
      if (!folder) return;
      const jobs: Job[] = [];
      for (const item of items) {
        const params = { profile, bucket, key: item.key, path: folder };
        jobs.push(
          await this.api.createTransferJob(
            'download',
            item.versionId === undefined ? params : { ...params, version_id: item.versionId },
          ),
        );
      }
      this.addJobs(jobs);
      return;
    }
    const tasks = await browserDownloadTasks(this.api, profile, bucket, items, sizes);
    this.runner.add(tasks);
  }

  // --- row actions --------------------------------------------------------------

  async act(row: QueueRow, action: RowAction): Promise<void> {
    try {
      if (row.source === 'local') this.localAction(row, action);
      else if (action === 'clear') {
        await this.api.deleteJob(row.id);
        this.queue = removeRows(this.queue, [row.id]);
      } else {
        const job = await this.api.jobAction(row.id, action);
        this.addJobs([job]);
      }
    } catch (e) {
      toasts.error(e, `Cannot ${action} ${row.name}`);
    }
  }

  private localAction(row: QueueRow, action: RowAction): void {
    const id = row.id;
    switch (action) {
      case 'pause':
        return this.runner.pause(id);
      case 'cancel':
        return this.runner.cancel(id);
      case 'run':
      case 'resume':
      case 'retry':
        return this.runner.restart(id);
      case 'clear':
        this.runner.forget(id);
        if (row.direction === 'upload' && !this.runner.has(id)) {
          this.cleared.add(id);
          this.forgetServerJob(id);
        }
        return;
    }
  }

  /** Removes the server's one-off job of a cleared browser upload (same id), so that it
   * is not left in the server's list. Quiet: the upload may never have reached the
   * server (404), or the server may not have seen its end yet (409: the job's end
   * event brings it here again). */
  private forgetServerJob(id: string): void {
    this.api.deleteJob(id).catch(() => undefined);
  }

  /** Whether pause all and resume all have server jobs to act on (one-off jobs
   * cannot pause). */
  private get hasPausableJobs(): boolean {
    return this.rows.some((r) => r.source === 'job' && !r.oneoff);
  }

  async pauseAll(): Promise<void> {
    for (const row of this.rows) {
      if (row.source === 'local' && (row.state === 'running' || row.state === 'queued')) this.runner.pause(row.id);
    }
    if (this.hasPausableJobs) {
      try {
        this.addJobs(await this.api.pauseAll());
      } catch (e) {
        toasts.error(e, 'Cannot pause all');
      }
    }
  }

  async resumeAll(): Promise<void> {
    for (const row of this.rows) {
      if (row.source === 'local' && row.state === 'paused') this.runner.restart(row.id);
    }
    if (this.hasPausableJobs) {
      try {
        this.addJobs(await this.api.resumeAll());
      } catch (e) {
        toasts.error(e, 'Cannot resume all');
      }
    }
  }

  async clearFinished(): Promise<void> {
    for (const row of clearable(this.queue)) await this.act(row, 'clear');
  }
}
