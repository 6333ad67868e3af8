// The replication page's model (continuous SQLite replication, jobs of kind
// `replicate`): the API's shapes, the words for lag, times and money, the replicas'
// rows, the bytes-per-hour chart, the restore timeline, the add form's requests, and
// the remove sequence (cancel, wait, delete). Pure but for `removeReplication`, which
// calls the functions it is given.

import { isAbsolutePath, type FieldProblem } from './backups';
import { ApiError, toApiError } from './errors';
import { formatBytes, formatCount, formatEta, relativeTime } from './format';
import { STATE_LABELS, errorField, type ChartBar } from './jobs';
import type { Job, JobEvent, NewJob } from './types';

// --- the API's shapes ------------------------------------------------------------------

/** One replica of a job: a profile and `s3://bucket/prefix`. */
export interface ReplicaTarget {
  profile: string;
  url: string;
}

/** A `replicate` job's params (`POST /api/v1/jobs`). */
export interface ReplicateParams {
  /** The database file, absolute. */
  db: string;
  /** Its folder name in the replicas (the file's name when null). */
  name: string | null;
  replicas: ReplicaTarget[];
  interval_ms: number;
  snapshot_every_s: number;
  retain_s: number;
  /** 0: never. */
  drill_every_s: number;
  lag_alert_s: number;
}

export interface RequestTally {
  put: number;
  list: number;
  get: number;
  delete: number;
}

export interface ReplicaStatus {
  /** `profile:s3://bucket/prefix`. */
  name: string;
  txid: number;
  /** Segments waiting for it. */
  pending: number;
  /** 0: caught up. */
  lag_ms: number;
  last_sync_ms: number | null;
  last_snapshot_ms: number | null;
  error: string | null;
  /** Bytes uploaded since the run started. */
  bytes: number;
  requests: RequestTally;
  /** `[hour start ms, bytes]`, the last 48 hours. */
  bytes_per_hour: [number, number][];
}

export interface DrillReport {
  replica: string;
  at_ms: number;
  ok: boolean;
  txid: number | null;
  age_ms: number | null;
  objects: number;
  bytes: number;
  db_bytes: number;
  took_ms: number;
  checksum_verified: boolean;
  error: string | null;
}

export interface ReplicationStatus {
  db: string;
  lineage: string;
  txid: number;
  wal_bytes: number;
  alert: string | null;
  last_checkpoint_ms: number | null;
  replicas: ReplicaStatus[];
  drills: DrillReport[];
}

/** `GET /api/v1/replication` (one of them). */
export interface ReplicationJob {
  job: Job;
  params: ReplicateParams;
  /** False: the status is the one its last run left (or null: it never ran). */
  live: boolean;
  status: ReplicationStatus | null;
}

export interface RestorePoint {
  txid: number;
  ts_ms: number;
  /** 9: a snapshot. */
  level: number;
}

/** `GET …/timeline`: what one replica can restore. */
export interface ReplicaTimeline {
  replica: string;
  lineage: string | null;
  /** Oldest first. */
  points: RestorePoint[];
  objects: number;
  bytes: number;
}

/** `POST …/restore`: `timestamp_ms` or `txid`, not both (neither: the newest). */
export interface ReplicationRestoreRequest {
  to: string;
  timestamp_ms?: number;
  txid?: number;
  force: boolean;
  /** The replica's index in the job's list. */
  replica: number;
}

export interface ReplicationRestoreReport {
  lineage: string;
  txid: number;
  ts_ms: number;
  objects: number;
  bytes: number;
  pages: number;
  page_size: number;
  checksum_verified: boolean;
  path: string;
}

/** `POST /api/v1/replication/preview`. */
export interface CostPreviewRequest {
  db: string;
  interval_ms: number;
  replicas: number;
  snapshot_every_s: number;
  retain_s: number;
  window_ms: number;
}

export interface ProviderCost {
  provider: string;
  requests_usd: number;
  storage_usd: number;
  total_usd: number;
}

export interface CostPreview {
  rate: { commits_per_s: number; bytes_per_s: number; window_ms: number };
  per_hour: RequestTally;
  idle_per_hour: RequestTally;
  per_month: RequestTally;
  uploaded_bytes_month: number;
  stored_bytes: number;
  providers: ProviderCost[];
}

export const REPLICATE_KIND = 'replicate';
/** The level of a snapshot in a timeline. */
export const SNAPSHOT_LEVEL = 9;
export const HOUR_MS = 3_600_000;

// --- words -------------------------------------------------------------------------------

/** A span in ms: "0 ms", "350 ms", "1.2 s", "45 s", "3 min 5 s"; "—" when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toString()} s`;
  return formatEta(Math.floor(ms / 1000));
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** A time in ms since the epoch → "2026-03-01 14:03:05" in local time; "—" without one. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "just now", "5 min ago"…, "never" for null. */
export function sinceText(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'never';
  return relativeTime(new Date(ms).toISOString(), now) || '—';
}

/** A request count: "0", "0.5", "12", "3,613". */
export function formatRequests(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0';
  if (n < 10) return String(Math.round(n * 10) / 10);
  return formatCount(Math.round(n));
}

/** US dollars: "$0.00", "< $0.01", "$14.53", "$1,204". */
export function formatUsd(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '$0.00';
  if (n < 0.01) return '< $0.01';
  if (n < 1000) return `$${n.toFixed(2)}`;
  return `$${formatCount(Math.round(n))}`;
}

export function totalRequests(t: RequestTally): number {
  return t.put + t.list + t.get + t.delete;
}

/** "Running", "Starting" (running, its status not in yet), "Paused", "Failed"… */
export function stateLabel(r: ReplicationJob): string {
  if (r.job.state === 'running' && !r.live) return 'Starting';
  return STATE_LABELS[r.job.state] ?? r.job.state;
}

/** "every 1 s · snapshot every 1 d · keep 7 d". */
export function scheduleSummary(p: ReplicateParams): string {
  return [`every ${formatMs(p.interval_ms)}`, `snapshot every ${formatEta(p.snapshot_every_s)}`, `keep ${formatEta(p.retain_s)}`].join(' · ');
}

/** What the replicas list shows for a job's replicas (the target names, as the agent
 * names them: `profile:s3://bucket/prefix`). */
export function replicaName(t: ReplicaTarget): string {
  return `${t.profile}:${t.url}`;
}

export interface ReplicaRow {
  name: string;
  target: ReplicaTarget | null;
  /** Null before the job's first run. */
  status: ReplicaStatus | null;
}

/** One row per replica of the params (by name, else by position), then any the status
 * has that the params do not. */
export function replicaRows(r: ReplicationJob): ReplicaRow[] {
  const statuses = r.status?.replicas ?? [];
  const used = new Set<number>();
  const rows = r.params.replicas.map((target, i): ReplicaRow => {
    const name = replicaName(target);
    let at = statuses.findIndex((s, j) => !used.has(j) && s.name === name);
    if (at < 0 && i < statuses.length && !used.has(i)) at = i;
    if (at >= 0) used.add(at);
    return { name, target, status: at >= 0 ? statuses[at] : null };
  });
  statuses.forEach((s, j) => {
    if (!used.has(j)) rows.push({ name: s.name, target: null, status: s });
  });
  return rows;
}

/** The list after a job event: the job's state as the event says (the status waits for
 * the next poll), gone when removed; null when it is a replication job the list does
 * not have yet (load the list again). Other kinds leave it as it is. */
export function withJobEvent(list: readonly ReplicationJob[], ev: JobEvent): readonly ReplicationJob[] | null {
  if (ev.job.kind !== REPLICATE_KIND) return list;
  const at = list.findIndex((r) => r.job.id === ev.job.id);
  if (ev.kind === 'removed') return at < 0 ? list : list.filter((_, i) => i !== at);
  if (at < 0) return null;
  return list.map((r, i) => (i === at ? { ...r, job: ev.job } : r));
}

/** The newest drill of each replica: the status's, or one run from this page since. */
export function latestDrills(fromStatus: readonly DrillReport[], fromPage: readonly DrillReport[] = []): DrillReport[] {
  const out = [...fromStatus];
  for (const report of fromPage) {
    const at = out.findIndex((d) => d.replica === report.replica);
    if (at < 0) out.push(report);
    else if (report.at_ms >= out[at].at_ms) out[at] = report;
  }
  return out;
}

// --- the bytes-per-hour chart -----------------------------------------------------------

export interface HourlyChart {
  width: number;
  height: number;
  hours: number;
  bars: ChartBar[];
  /** Bytes in the window. */
  total: number;
  /** The largest hour's bytes. */
  max: number;
  /** One sentence for screen readers. */
  summary: string;
}

/** One bar per hour of the last `hours` (the current one last), missing hours empty;
 * bars scaled to the largest, a non-zero one at least one unit tall. */
export function hourlyChart(
  points: readonly (readonly [number, number])[],
  options: { now: number; hours?: number; width?: number; height?: number },
): HourlyChart {
  const { now, hours = 48, width = 480, height = 60 } = options;
  const last = now - (now % HOUR_MS);
  const first = last - (hours - 1) * HOUR_MS;
  const byHour = new Map<number, number>();
  for (const [start, bytes] of points) {
    const hour = start - (start % HOUR_MS);
    if (hour < first || hour > last || !(bytes > 0)) continue;
    byHour.set(hour, (byHour.get(hour) ?? 0) + bytes);
  }
  const values = Array.from({ length: hours }, (_, i) => byHour.get(first + i * HOUR_MS) ?? 0);
  const max = Math.max(0, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const slot = width / hours;
  const gap = Math.min(2, slot * 0.2);
  const top = 2;
  const bars = values.map((value, i): ChartBar => {
    const h = max > 0 && value > 0 ? Math.max(1, (value / max) * (height - top)) : 0;
    const label = `${formatTime(first + i * HOUR_MS).slice(0, 16)}: ${formatBytes(value)}`;
    return { x: i * slot + gap / 2, y: height - h, width: slot - gap, height: h, value, label };
  });
  let summary = `Nothing uploaded in the last ${hours} h.`;
  if (total > 0) {
    const busiest = values.indexOf(max);
    const when = formatTime(first + busiest * HOUR_MS).slice(0, 16);
    summary = `Last ${hours} h: ${formatBytes(total)} uploaded; busiest hour ${when} (${formatBytes(max)}).`;
  }
  return { width, height, hours, bars, total, max, summary };
}

// --- the restore timeline ----------------------------------------------------------------

/** The index of the newest point at or before `ts` (what a restore to that time gets),
 * or -1 when every point is later. */
export function pointAt(points: readonly RestorePoint[], ts: number): number {
  let found = -1;
  let best = -Infinity;
  points.forEach((p, i) => {
    if (p.ts_ms <= ts && p.txid >= best) {
      found = i;
      best = p.txid;
    }
  });
  return found;
}

/** Where each snapshot sits on a slider over the points: 0–1 (the only point: 1). */
export function snapshotMarks(points: readonly RestorePoint[]): { at: number; point: RestorePoint }[] {
  const span = points.length - 1;
  return points.flatMap((point, i) => (point.level === SNAPSHOT_LEVEL ? [{ at: span > 0 ? i / span : 1, point }] : []));
}

/** A time in ms as a `datetime-local` value (local time, seconds). */
export function toLocalInput(ms: number): string {
  return formatTime(ms).replace(' ', 'T');
}

/** A `datetime-local` value (local time) in ms; null when it is not one. */
export function fromLocalInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? null : t;
}

/** The folder of a local path (`/a/b.db` → `/a`, `C:\d\b.db` → `C:\d`); "" without one. */
export function dirName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (cut < 0) return '';
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** The last segment of a local path. */
export function fileName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** `name` in `folder`, with the folder's separator. */
export function fileIn(folder: string, name: string): string {
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return folder.endsWith(sep) ? folder + name : `${folder}${sep}${name}`;
}

/** Where a restore of `db` goes unless told: `app-restored.db` next to it. */
export function defaultRestorePath(db: string): string {
  const name = fileName(db);
  const dot = name.lastIndexOf('.');
  const restored = dot > 0 ? `${name.slice(0, dot)}-restored${name.slice(dot)}` : `${name || 'db'}-restored`;
  return fileIn(dirName(db) || '/', restored);
}

/** The `POST …/restore` body to `point` (by its time: the newest state at or before
 * it), or what is wrong. */
export function restoreBody(point: RestorePoint | null, to: string, force: boolean, replica: number): { request: ReplicationRestoreRequest } | FieldProblem {
  if (!point) return { field: 'point', problem: 'Choose a restore point.' };
  const path = to.trim();
  if (!path) return { field: 'to', problem: 'Enter the file to restore into.' };
  if (!isAbsolutePath(path)) return { field: 'to', problem: `“${path}” is not an absolute path.` };
  return { request: { to: path, timestamp_ms: point.ts_ms, force, replica } };
}

/** A restore refused because the file is there (409 `exists`). */
export function isExists(e: unknown): boolean {
  return toApiError(e).code === 'exists';
}

/** "TXID 42 of 2026-03-01 14:03:05: 3 objects (12 KiB), 6 pages of 4 KiB, checksum verified". */
export function restoreSummary(r: ReplicationRestoreReport): string {
  const pages = `${formatCount(r.pages)} page${r.pages === 1 ? '' : 's'} of ${formatBytes(r.page_size)}`;
  const objects = `${formatCount(r.objects)} object${r.objects === 1 ? '' : 's'} (${formatBytes(r.bytes)})`;
  return `TXID ${r.txid} of ${formatTime(r.ts_ms)}: ${objects}, ${pages}, ${r.checksum_verified ? 'checksum verified' : 'no checksum to verify'}`;
}

// --- the add form --------------------------------------------------------------------------

export interface ReplicaDraft {
  profile: string;
  url: string;
}

/** The form as typed; durations are text such as `1s`, `500ms`, `24h`, `7d`. */
export interface ReplicationDraft {
  db: string;
  name: string;
  replicas: ReplicaDraft[];
  interval: string;
  snapshotEvery: string;
  retain: string;
  /** `0`: never. */
  drillEvery: string;
  lagAlert: string;
}

export function emptyReplicationDraft(profile: string): ReplicationDraft {
  return {
    db: '',
    name: '',
    replicas: [{ profile, url: '' }],
    interval: '1s',
    snapshotEvery: '24h',
    retain: '7d',
    drillEvery: '24h',
    lagAlert: '60s',
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: HOUR_MS, d: 24 * HOUR_MS };

/** "1s", "500 ms", "1.5h", "7d", "90" (seconds) → ms; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return null;
  const unit = m[2].toLowerCase() || 's';
  const scale = UNITS[unit];
  if (scale === undefined) return null;
  return Math.round(Number(m[1]) * scale);
}

/** Why a replica URL cannot be right, or null: `s3://bucket` or `s3://bucket/prefix`. */
export function replicaUrlProblem(url: string): string | null {
  const u = url.trim();
  if (!u) return 'Enter where it goes, such as s3://bucket/dbs.';
  if (!/^s3:\/\/[^/\s]+(\/\S*)?$/.test(u)) return 'A replica is s3://BUCKET or s3://BUCKET/PREFIX.';
  if (u.slice(5).includes('//')) return 'The prefix has an empty segment (“//”).';
  return null;
}

interface Durations {
  interval_ms: number;
  snapshot_every_s: number;
  retain_s: number;
  drill_every_s: number;
  lag_alert_s: number;
}

function durations(d: ReplicationDraft): Durations | FieldProblem {
  const fields: [keyof Durations, string, string, number][] = [
    ['interval_ms', d.interval, 'Sync interval', 100],
    ['snapshot_every_s', d.snapshotEvery, 'Snapshot every', 60_000],
    ['retain_s', d.retain, 'Keep history for', 60_000],
    ['drill_every_s', d.drillEvery, 'Restore drill every', 60_000],
    ['lag_alert_s', d.lagAlert, 'Alert when behind by', 1000],
  ];
  const out = {} as Durations;
  for (const [key, text, label, least] of fields) {
    const ms = parseDuration(text);
    if (ms === null) return { field: `params.${key}`, problem: `${label}: enter a duration such as 1s, 30min, 24h or 7d.` };
    if (ms < least && !(key === 'drill_every_s' && ms === 0)) {
      return { field: `params.${key}`, problem: `${label}: at least ${formatMs(least)}.` };
    }
    out[key] = key === 'interval_ms' ? ms : Math.round(ms / 1000);
  }
  return out;
}

function checkDb(db: string): FieldProblem | null {
  if (!db) return { field: 'params.db', problem: 'Enter the database file.' };
  if (!isAbsolutePath(db)) return { field: 'params.db', problem: `“${db}” is not an absolute path.` };
  return null;
}

/** The `POST /api/v1/jobs` body, or the first problem (fields named as the API's 400
 * names them: `params.db`, `params.replicas[0].url`…). */
export function replicationJobRequest(draft: ReplicationDraft): { job: NewJob<ReplicateParams> } | FieldProblem {
  const db = draft.db.trim();
  const bad = checkDb(db);
  if (bad) return bad;
  if (!draft.replicas.length) return { field: 'params.replicas', problem: 'Add at least one replica.' };
  const replicas: ReplicaTarget[] = [];
  for (const [i, r] of draft.replicas.entries()) {
    if (!r.profile) return { field: `params.replicas[${i}].profile`, problem: 'Choose a profile.' };
    const problem = replicaUrlProblem(r.url);
    if (problem) return { field: `params.replicas[${i}].url`, problem };
    replicas.push({ profile: r.profile, url: r.url.trim() });
  }
  const d = durations(draft);
  if ('problem' in d) return d;
  const name = draft.name.trim();
  return {
    job: {
      kind: REPLICATE_KIND,
      params: { db, name: name || null, replicas, ...d },
      notify: { on_failure: true, on_success: false },
    },
  };
}

/** The cost preview's body (watching the writes for `windowMs`), or the first problem. */
export function previewRequest(draft: ReplicationDraft, windowMs = 3000): { request: CostPreviewRequest } | FieldProblem {
  const db = draft.db.trim();
  const bad = checkDb(db);
  if (bad) return bad;
  const d = durations(draft);
  if ('problem' in d) return d;
  return {
    request: {
      db,
      interval_ms: d.interval_ms,
      replicas: Math.max(1, draft.replicas.length),
      snapshot_every_s: d.snapshot_every_s,
      retain_s: d.retain_s,
      window_ms: windowMs,
    },
  };
}

/** The form field an API error is about: the one its message names, else the database
 * for a refused preview (`/x/app.db: No such file…`, a path outside the allowed
 * folders: the preview reads nothing else); null for other failures. */
export function previewErrorField(e: unknown): string | null {
  const error = toApiError(e);
  const named = errorField(error.message);
  if (named) return named;
  const refused = error.status === 400 || error.status === 403 || error.code === 'bad_request' || error.code === 'forbidden';
  return refused ? 'params.db' : null;
}

/** Whether an API field (`params.replicas[0].url`) is about a form field (`replicas[0]`,
 * `params.db`…): the same, or inside it. */
export function isAbout(problemField: string | null | undefined, field: string): boolean {
  if (!problemField) return false;
  const strip = (f: string) => f.replace(/^params\./, '');
  const p = strip(problemField);
  const f = strip(field);
  return p === f || p.startsWith(`${f}.`) || p.startsWith(`${f}[`);
}

// --- the remove sequence -----------------------------------------------------------------

/** The calls `removeReplication` makes (the API client has them). */
export interface RemoveCalls {
  job(id: string): Promise<Job>;
  jobAction(id: string, action: 'cancel'): Promise<Job>;
  deleteJob(id: string): Promise<null>;
}

export interface RemoveOptions {
  /** Between two looks at the job's state, ms. */
  every?: number;
  /** How many looks before giving up. */
  tries?: number;
  sleep?: (ms: number) => Promise<void>;
}

const isActive = (state: Job['state']) => state === 'running' || state === 'queued';

function codeIs(e: unknown, status: number, code: string): boolean {
  const error = toApiError(e);
  return error.status === status || error.code === code;
}

/** Removes a replication job: cancel it (when queued, running or paused), wait until it
 * is neither running nor queued, then delete it. The replicas' objects stay. A job gone
 * meanwhile is removed; a cancel refused because it stopped by itself is fine. */
export async function removeReplication(api: RemoveCalls, job: Job, options: RemoveOptions = {}): Promise<void> {
  const { every = 250, tries = 120, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) } = options;
  const gone = (e: unknown) => codeIs(e, 404, 'not_found');
  if (isActive(job.state) || job.state === 'paused') {
    try {
      await api.jobAction(job.id, 'cancel');
    } catch (e) {
      if (gone(e)) return;
      if (!codeIs(e, 409, 'conflict')) throw e;
    }
  }
  for (let i = 0; ; i++) {
    let current: Job;
    try {
      current = await api.job(job.id);
    } catch (e) {
      if (gone(e)) return;
      throw e;
    }
    if (!isActive(current.state)) break;
    if (i + 1 >= tries) throw new ApiError('timeout', `${job.name} is still ${current.state}: try again in a moment.`);
    await sleep(every);
  }
  try {
    await api.deleteJob(job.id);
  } catch (e) {
    if (!gone(e)) throw e;
  }
}
