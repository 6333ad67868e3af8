// Shapes of the Coffer API (crates/coffer-api, crates/coffer-core), as JSON.

export type Addressing = 'virtual-host' | 'path';

export type CredentialRef =
  | { kind: 'keychain'; access_key_id: string; has_session_token?: boolean }
  | { kind: 'aws-profile'; name: string }
  | { kind: 'environment' }
  | { kind: 'anonymous' }
  | { kind: 'local' };

export interface Profile {
  name: string;
  endpoint: string | null;
  region: string | null;
  addressing: Addressing;
  credentials: CredentialRef;
}

/** `POST /api/v1/profiles`; `replace: true` edits. Secrets go in, never come out. */
export interface NewProfile {
  name: string;
  endpoint?: string;
  region?: string;
  path_style?: boolean;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  from_aws_profile?: string;
  anonymous?: boolean;
  replace?: boolean;
}

export interface TestAnswer {
  ok: boolean;
  buckets: number;
  latency_ms: number;
}

export interface BucketInfo {
  name: string;
  created: string | null;
}

export interface ObjectSummary {
  key: string;
  size: number;
  last_modified: string | null;
  etag: string | null;
  storage_class: string | null;
}

export interface ListPage {
  objects: ObjectSummary[];
  common_prefixes: string[];
  next_token: string | null;
}

export interface Checksum {
  algorithm: string;
  value: string;
  kind: { type: 'full_object' } | { type: 'composite'; parts: number };
}

export interface ObjectMeta {
  key: string;
  size: number;
  last_modified: string | null;
  etag: string | null;
  content_type: string | null;
  cache_control: string | null;
  storage_class: string | null;
  metadata: Record<string, string>;
  checksum: Checksum | null;
  parts_count: number | null;
}

export interface MetadataChange {
  key: string;
  content_type?: string;
  cache_control?: string;
  metadata: Record<string, string>;
}

export interface Progress {
  operation: string;
  bytes_done: number;
  bytes_total: number;
  bytes_resumed: number;
  items_done: number;
  items_total: number;
  /** Bytes per second. */
  rate: number;
  /** Seconds left, when known. */
  eta: number | null;
  /** Seconds since start. */
  elapsed: number;
  finished: boolean;
}

export interface ErrorBody {
  code: string;
  message: string;
}

/** The kinds of job that move one object or folder; their rows are in the transfers panel. */
export type TransferKind = 'upload' | 'download';
/** A job's kind: a transfer, or another kind of the job engine ("backup", say). */
export type JobKind = TransferKind | (string & {});
export type JobState = 'idle' | 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'canceled';

/** The `params` of an upload or download job. */
export interface TransferParams {
  profile: string;
  bucket: string;
  key: string;
  /** The absolute local path. */
  path: string;
}

export type Schedule = { every: string } | { cron: string; tz?: string };

export interface NotifyPolicy {
  on_failure: boolean;
  on_success: boolean;
}

/** What started a run. */
export type Trigger = 'added' | 'manual' | 'schedule' | 'resume' | 'retry' | 'restart';

export type RunResult = 'running' | 'done' | 'failed' | 'paused' | 'canceled' | 'interrupted';

/** One run of a job (`GET /api/v1/jobs/{id}/history`, a job's `last_run`). */
export interface RunRecord {
  id: string;
  job: string;
  trigger: Trigger;
  started: string;
  ended: string | null;
  result: RunResult;
  bytes: number;
  items: number;
  error: string | null;
}

/** A job of the job engine: its definition and status, flat. */
export interface Job {
  id: string;
  kind: JobKind;
  /** The display name the server made ("upload of photos"). */
  name: string;
  /** What the kind needs: `TransferParams` for uploads and downloads. */
  params: Record<string, unknown>;
  schedule: Schedule | null;
  enabled: boolean;
  notify: NotifyPolicy;
  webhook: string | null;
  /** RFC 3339. */
  created: string;
  state: JobState;
  progress: Progress | null;
  error: ErrorBody | null;
  /** The id of the current run. */
  run: string | null;
  trigger: Trigger | null;
  last_run: RunRecord | null;
  next_run: string | null;
  queued_at: string | null;
  can_pause: boolean;
  /** A one-off transfer the server runs for a client outside the queue (a browser's
   * streamed upload, the upload-file and download-file routes): kept in memory while
   * the server runs, never scheduled. It can be canceled while active and removed
   * once finished; run, pause, resume, retry and edits answer 409. Absent for
   * ordinary jobs. */
  oneoff?: boolean;
}

/** `POST /api/v1/jobs`. */
export interface NewJob<P extends object = Record<string, unknown>> {
  kind: JobKind;
  params: P;
  name?: string;
  schedule?: Schedule | null;
  enabled?: boolean;
  notify?: NotifyPolicy;
  webhook?: string | null;
  run_now?: boolean;
}

/** `PUT /api/v1/jobs/{id}`: only the fields given change. */
export interface JobChange {
  name?: string;
  schedule?: Schedule;
  /** Removes the schedule. */
  clear_schedule?: boolean;
  enabled?: boolean;
  notify?: NotifyPolicy;
  /** A webhook URL; `""` removes it. */
  webhook?: string;
}

export type JobEventKind =
  | 'queued'
  | 'started'
  | 'progress'
  | 'done'
  | 'failed'
  | 'paused'
  | 'canceled'
  | 'scheduled'
  | 'changed'
  | 'removed';

/** What happened to a job, and the job after it (`event: job`, `stream: "job"`).
 * `removed`: the job is gone. Progress events may be dropped; others never are. */
export interface JobEvent {
  kind: JobEventKind;
  job: Job;
}

/** One event of the stream, SSE (`event: job`) or the Tauri channel (`{stream: "job",
 * data}`). Jobs are the only stream: one-off transfers are jobs too (`oneoff`). */
export type ApiEvent = { stream: 'job'; data: JobEvent };

export interface ApiSettings {
  embedded: boolean;
  standalone: boolean;
  listen: string;
  bound: string | null;
}

export interface TransferSettings {
  part_size: number;
  concurrency: number;
}

export type Theme = 'system' | 'light' | 'dark';

export interface UiSettings {
  notifications: boolean;
  theme: Theme;
}

export interface PresignAnswer {
  url: string;
  expires_secs: number;
}

export interface CopyRequest {
  key: string;
  target_bucket?: string;
  target_key: string;
  recursive: boolean;
}

export interface CopyReport {
  items: number;
  bytes: number;
}
