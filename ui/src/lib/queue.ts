// The transfer queue model: server upload and download jobs (from GET /api/v1/jobs and
// job events), one-off ones among them (another tab's upload, say), and the transfers
// this browser runs itself, merged into rows. Jobs of other kinds (backups, say) are
// not transfers: they have no row here. Pure: every function returns a new Queue.

import type { ApiEvent, Job, JobEvent, JobState, Progress, TransferKind, TransferParams } from './types';

export type Direction = 'upload' | 'download';
export type RowState = JobState;
/** Where a row comes from: a server job (one-off ones included), or this browser's
 * own runner. A browser upload is a one-off job on the server too, with the id of its
 * local row: the local row stands for it here, and the job's events are ignored. */
export type RowSource = 'job' | 'local';

export interface QueueRow {
  id: string;
  source: RowSource;
  /** What to show: the key, or the local path of a download. */
  name: string;
  direction: Direction;
  state: RowState;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second. */
  rate: number;
  /** Seconds left, when known. */
  eta: number | null;
  error: string | null;
  profile: string;
  bucket: string;
  key: string;
  /** Ms since the epoch; rows are shown in this order. */
  created: number;
  /** Whether it can pause while running (a job's `can_pause`); true when absent. */
  canPause?: boolean;
  /** A one-off job of the server (its client drives it): it can only be canceled
   * while active and cleared once finished. */
  oneoff?: boolean;
}

export interface Queue {
  rows: ReadonlyMap<string, QueueRow>;
}

export const emptyQueue: Queue = { rows: new Map() };

export const ACTIVE: readonly RowState[] = ['queued', 'running', 'paused'];
export const FINISHED: readonly RowState[] = ['done', 'failed', 'canceled'];

export function isActive(state: RowState): boolean {
  return ACTIVE.includes(state);
}

function progressFields(p: Progress | null | undefined): Partial<QueueRow> {
  if (!p) return {};
  return { bytesDone: p.bytes_done, bytesTotal: p.bytes_total, rate: p.rate, eta: p.eta };
}

export function isTransferKind(kind: string): kind is TransferKind {
  return kind === 'upload' || kind === 'download';
}

/** What an upload or download job moves; null for other kinds (or odd params). */
export function transferOf(job: Job): (TransferParams & { direction: TransferKind }) | null {
  if (!isTransferKind(job.kind)) return null;
  const p = job.params ?? {};
  const { profile, bucket, key, path } = p;
  if (typeof profile !== 'string' || typeof bucket !== 'string' || typeof key !== 'string') return null;
  return { direction: job.kind, profile, bucket, key, path: typeof path === 'string' ? path : '' };
}

/** A server upload or download job as a row (a one-off job too, `oneoff` set); null
 * for jobs of other kinds, and for scheduled transfers (the Jobs page shows those; the
 * panel is for transfers that run once). */
export function rowOfJob(job: Job, previous?: QueueRow): QueueRow | null {
  if (job.schedule) return null;
  const t = transferOf(job);
  if (!t) return null;
  const created = Date.parse(job.created);
  const row: QueueRow = {
    id: job.id,
    source: 'job',
    name: t.key,
    direction: t.direction,
    state: job.state,
    bytesDone: previous?.bytesDone ?? 0,
    bytesTotal: previous?.bytesTotal ?? 0,
    rate: previous?.rate ?? 0,
    eta: previous?.eta ?? null,
    error: job.error?.message ?? null,
    profile: t.profile,
    bucket: t.bucket,
    key: t.key,
    created: Number.isNaN(created) ? (previous?.created ?? Date.now()) : created,
    canPause: job.can_pause ?? true,
    oneoff: job.oneoff === true,
    ...progressFields(job.progress),
  };
  return settle(row);
}

/** A finished row has no rate or ETA; a done one has all its bytes. */
function settle(row: QueueRow): QueueRow {
  if (isActive(row.state) && row.state !== 'paused') return row;
  const done = row.state === 'done' ? Math.max(row.bytesDone, row.bytesTotal) : row.bytesDone;
  return { ...row, rate: 0, eta: null, bytesDone: done, bytesTotal: Math.max(row.bytesTotal, done) };
}

function withRows(q: Queue, change: (rows: Map<string, QueueRow>) => void): Queue {
  const rows = new Map(q.rows);
  change(rows);
  return { rows };
}

/** Whether `id` is a row of this browser's runner: the server's one-off job of the same
 * id (its streamed upload) is that row, and the runner alone reports it. */
function isLocal(q: Queue, id: string): boolean {
  return q.rows.get(id)?.source === 'local';
}

/** The server's whole job list: replaces every job row (local rows stay as they are). */
export function applyJobs(q: Queue, jobs: readonly Job[]): Queue {
  return withRows(q, (rows) => {
    for (const [id, row] of rows) if (row.source === 'job') rows.delete(id);
    for (const job of jobs) {
      if (isLocal(q, job.id)) continue;
      const row = rowOfJob(job, q.rows.get(job.id));
      if (row) rows.set(job.id, row);
    }
  });
}

/** Adds or updates the rows of some jobs (an action's answer), leaving the others. */
export function upsertJobs(q: Queue, jobs: readonly Job[]): Queue {
  let next = q;
  for (const job of jobs) {
    if (isLocal(next, job.id)) continue;
    const row = rowOfJob(job, next.rows.get(job.id));
    if (row) next = upsertRow(next, row);
  }
  return next;
}

/** Adds or replaces a row. */
export function upsertRow(q: Queue, row: QueueRow): Queue {
  return withRows(q, (rows) => rows.set(row.id, settle(row)));
}

/** Changes some fields of a row (no-op if it is gone). */
export function patchRow(q: Queue, id: string, patch: Partial<QueueRow>): Queue {
  const row = q.rows.get(id);
  if (!row) return q;
  return upsertRow(q, { ...row, ...patch });
}

export function removeRows(q: Queue, ids: Iterable<string>): Queue {
  return withRows(q, (rows) => {
    for (const id of ids) rows.delete(id);
  });
}

/** One event from the server's stream (job events: the only kind). */
export function applyEvent(q: Queue, ev: ApiEvent): Queue {
  return applyJobEvent(q, ev.data);
}

/** A job event: the job as it is now (its progress too), or gone (`removed`). The
 * events of a one-off job with a local row's id (this browser's own upload) change
 * nothing: the runner counts its own bytes, and its pause is an abort the server sees
 * as the end of that upload. */
export function applyJobEvent(q: Queue, ev: JobEvent): Queue {
  const id = ev.job.id;
  if (isLocal(q, id)) return q;
  if (ev.kind === 'removed') return q.rows.has(id) ? removeRows(q, [id]) : q;
  const row = rowOfJob(ev.job, q.rows.get(id));
  return row ? upsertRow(q, row) : q;
}

export interface RowActions {
  /** Start a job that never ran (idle). */
  run: boolean;
  pause: boolean;
  resume: boolean;
  cancel: boolean;
  retry: boolean;
  clear: boolean;
}

/** Which buttons a row offers. A one-off job of the server can only be canceled while
 * active and cleared once finished (its bytes come from its client: nothing here can
 * start it again). */
export function actionsFor(row: QueueRow): RowActions {
  const finished = FINISHED.includes(row.state);
  if (row.source === 'job' && row.oneoff) {
    return { run: false, pause: false, resume: false, cancel: isActive(row.state), retry: false, clear: finished };
  }
  return {
    run: row.state === 'idle',
    pause: row.state === 'queued' || (row.state === 'running' && row.canPause !== false),
    resume: row.state === 'paused',
    cancel: isActive(row.state),
    retry: row.state === 'failed' || row.state === 'canceled',
    clear: finished || row.state === 'idle',
  };
}

/** The rows in queue order (oldest first). */
export function orderedRows(q: Queue): QueueRow[] {
  return [...q.rows.values()].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
}

/** Rows "Clear finished" removes: done and canceled (failed ones stay, to retry). */
export function clearable(q: Queue): QueueRow[] {
  return [...q.rows.values()].filter((r) => r.state === 'done' || r.state === 'canceled');
}

export interface Summary {
  active: number;
  /** Jobs that never ran (idle): neither active nor finished. */
  idle: number;
  failed: number;
  finished: number;
  rate: number;
  bytesDone: number;
  bytesTotal: number;
}

export function summarize(q: Queue): Summary {
  const s: Summary = { active: 0, idle: 0, failed: 0, finished: 0, rate: 0, bytesDone: 0, bytesTotal: 0 };
  for (const r of q.rows.values()) {
    if (r.state === 'idle') {
      s.idle += 1;
    } else if (isActive(r.state)) {
      s.active += 1;
      s.bytesDone += r.bytesDone;
      s.bytesTotal += r.bytesTotal;
      if (r.state === 'running') s.rate += r.rate;
    } else {
      s.finished += 1;
      if (r.state === 'failed') s.failed += 1;
    }
  }
  return s;
}

/** The rate, smoothed: an exponential moving average of bytes per second. */
export function smoothRate(previous: number, bytes: number, seconds: number, weight = 0.3): number {
  if (seconds <= 0) return previous;
  const instant = bytes / seconds;
  return previous > 0 ? previous + weight * (instant - previous) : instant;
}

/** Seconds left at `rate`, or null when it cannot be told. */
export function etaOf(done: number, total: number, rate: number): number | null {
  if (rate <= 0 || total <= 0 || done >= total) return null;
  return (total - done) / rate;
}
