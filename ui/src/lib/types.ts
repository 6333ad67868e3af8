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
  /** Absent from servers older than upload rules. */
  content_disposition?: string | null;
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
  /** Download only: this version of the object instead of the current one. */
  version_id?: string;
  /** Upload only: skip the bucket's upload header rules (default false). */
  no_rules?: boolean;
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
  /** What the run produced, as its kind reports it (a backup: `BackupRunDetails`);
   * absent for kinds that report nothing and for runs that did not finish. */
  details?: Record<string, unknown> | null;
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

/** The API's PresignMethod is upper-case. */
export type PresignMethod = 'GET' | 'PUT';

/** `POST …/presign`: the link, and its record on the Shares page. */
export interface PresignAnswer {
  url: string;
  expires_secs: number;
  /** RFC 3339. */
  expires_at: string;
  share_id: string;
}

/** Who made a share link. */
export type ShareVia = 'cli' | 'desktop' | 'web' | 'api' | (string & {});

/** A recorded share link (`GET /api/v1/shares`); the URL itself is never stored. */
export interface Share {
  id: string;
  profile: string;
  bucket: string;
  key: string;
  method: PresignMethod;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  expires_at: string;
  expires_secs: number;
  expired: boolean;
  via: ShareVia;
}

/** `POST /api/v1/shares/{id}/url`: the same link again. */
export interface ShareUrl {
  url: string;
  /** RFC 3339. */
  expires_at: string;
}

// --- upload header rules (per profile and bucket, an ordered list) ------------------

/** One rule: a glob on the key and the headers it gives to the uploads it matches. */
export interface UploadRule {
  /** Given by the server. */
  id: string;
  /** No `/`: matches the file name in any folder (`*.css`); with `/`: the whole key
   * (`**` crosses folders). */
  glob: string;
  content_type?: string | null;
  cache_control?: string | null;
  content_disposition?: string | null;
  storage_class?: string | null;
  metadata: Record<string, string>;
}

/** A rule as sent: a new one has no id yet. */
export type RuleInput = Omit<UploadRule, 'id'> & { id?: string };

/** A rule of any bucket of a profile (`GET /api/v1/profiles/{p}/rules`). */
export type BucketRule = UploadRule & { bucket: string };

/** The headers an upload would get (rules plus the extension's Content-Type). */
export interface RuleHeaders {
  content_type?: string | null;
  cache_control?: string | null;
  content_disposition?: string | null;
  storage_class?: string | null;
  metadata: Record<string, string>;
}

/** `POST …/rules/preview`: what an upload of one key would be given. */
export interface RulePreview {
  key: string;
  /** The rules that match, in order. */
  rule_ids: string[];
  headers: RuleHeaders;
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

// --- backups (`/api/v1/backups/…`, jobs of kind `backup`) --------------------------

/** A repository this host knows (`GET /api/v1/backups/repos`). */
export interface RepoRecord {
  profile: string;
  /** `s3://bucket/prefix/`. */
  url: string;
  /** This host never deletes or rewrites the repository's objects. */
  append_only: boolean;
  repo_id: string | null;
  /** RFC 3339. */
  added: string;
}

/** `POST /api/v1/backups/repos`: create a repository (an empty bucket or prefix only)
 * or connect to one. The password goes to the server's keychain. */
export interface AddRepo {
  profile: string;
  repo: string;
  password: string;
  create: boolean;
  append_only: boolean;
}

export interface SnapshotSummary {
  files_new: number;
  files_changed: number;
  files_unmodified: number;
  total_files: number;
  total_bytes: number;
  data_added: number;
  data_added_packed: number;
  duration_secs: number;
}

export interface SnapshotInfo {
  id: string;
  short_id: string;
  /** RFC 3339. */
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
  parent: string | null;
  summary: SnapshotSummary | null;
}

export type BackupEntryKind = 'file' | 'dir' | 'symlink' | 'special';

/** One entry of a snapshot's folder (`GET /api/v1/backups/ls`). */
export interface BackupEntry {
  /** Absolute, as backed up: `/home/me/docs/a.txt`. */
  path: string;
  name: string;
  kind: BackupEntryKind;
  size: number;
  mtime: string | null;
  mode: number | null;
  link_target: string | null;
}

/** One distinct version of a path (`GET /api/v1/backups/timeline`). */
export interface Version {
  kind: BackupEntryKind;
  size: number;
  mtime: string | null;
  /** Equal for equal content. */
  content_id: string;
  /** The snapshots holding it, oldest first (full ids). */
  snapshots: string[];
  first_seen: string;
  last_seen: string;
}

export type Overwrite = 'never' | 'if-changed' | 'always';

/** `POST /api/v1/backups/restore`. */
export interface RestoreRequest {
  profile: string;
  repo: string;
  snapshot: string;
  /** A path in the snapshot; `""` for all of it. */
  path: string;
  /** A local folder of the machine running the API. */
  target: string;
  overwrite: Overwrite;
}

export interface RestoreOutcome {
  snapshot: string;
  files_restored: number;
  files_unchanged: number;
  files_replaced: number;
  dirs_restored: number;
  bytes_restored: number;
  resumed: boolean;
}

export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

export interface ForgetDecision {
  snapshot: SnapshotInfo;
  keep: boolean;
  reasons: string[];
}

export interface PruneOutcome {
  packs_removed: number;
  packs_repacked: number;
  packs_kept: number;
  bytes_freed: number;
  repo_size: number;
  dry_run: boolean;
}

/** `POST /api/v1/backups/forget`. */
export interface ForgetAnswer {
  forget: { decisions: ForgetDecision[]; removed: number; dry_run: boolean };
  prune: PruneOutcome | null;
}

export interface CheckFinding {
  level: 'error' | 'warning' | (string & {});
  message: string;
  pack: string | null;
  snapshots: string[];
  files: string[];
}

export interface CheckOutcome {
  ok: boolean;
  findings: CheckFinding[];
  read_data: string | null;
}

/** The `params` of a backup job. */
export interface BackupParams {
  profile: string;
  repo: string;
  /** Absolute local folders (or files). */
  paths: string[];
  excludes: string[];
  exclude_files: string[];
  git_ignore: boolean;
  one_file_system: boolean;
  exclude_caches: boolean;
  tags: string[];
  keep: KeepPolicy | null;
  prune: boolean;
}

/** A backup run's `details` in the job's history. */
export interface BackupRunDetails {
  snapshot: string;
  files_new: number;
  files_changed: number;
  files_unmodified: number;
  bytes_added: number;
  bytes_added_packed: number;
  repo_size: number;
  resumed_packs: number;
  errors: number;
  first_errors: string[];
  forgotten?: number;
  pruned_bytes?: number;
}

// --- the local index of a bucket (`…/buckets/{b}/index…`, `/api/v1/index`) ---------

/** `too_big`: a build that was not forced stopped at `auto_limit` objects; ask the
 * user, then build again with `force`. */
export type IndexState = 'building' | 'ready' | 'failed' | 'too_big';

/** One bucket's index (`GET …/buckets/{b}/index`). */
export interface IndexInfo {
  profile: string;
  bucket: string;
  state: IndexState;
  /** Objects indexed so far. */
  objects: number;
  /** Total size of the indexed objects. */
  bytes: number;
  /** RFC 3339: the last complete build or full refresh. */
  built_at: string | null;
  /** RFC 3339: when the index last listed its data (folder refreshes do not move it). */
  as_of: string | null;
  /** Why the build failed. */
  error: string | null;
  /** Objects listed so far while building. */
  progress: number | null;
}

/** `GET /api/v1/index`: every index, and the size of them all on disk. */
export interface IndexOverview {
  indexes: IndexInfo[];
  disk_bytes: number;
}

/** `GET|PUT /api/v1/settings/index`. */
export interface IndexSettings {
  /** Index buckets automatically when they are opened… */
  auto: boolean;
  /** …only up to this many objects; above it the build stops as `too_big` and asks. */
  auto_limit: number;
  /** Background refresh of every index, in minutes (0 = never). */
  refresh_minutes: number;
}

/** `GET …/index/list`: one folder level from the index, like `…/objects`. */
export interface IndexPage extends ListPage {
  /** RFC 3339. */
  as_of: string;
}

/** `POST …/index/refresh-folder`: what listing the folder again changed in the index. */
export interface FolderRefresh {
  added: number;
  updated: number;
  removed: number;
  /** RFC 3339. */
  as_of: string;
}

/** `GET …/index/size`: everything under a prefix, at any depth. */
export interface FolderSize {
  objects: number;
  bytes: number;
  /** RFC 3339. */
  as_of: string;
}

/** The last line of `GET …/index/search`. */
export interface SearchSummary {
  done: true;
  matches: number;
  scanned: number;
  /** The search stopped at its `limit`. */
  truncated: boolean;
  /** RFC 3339. */
  as_of: string | null;
  elapsed_ms: number;
}

/** A search of the index: a pattern and filters (see `searchParams`). */
export interface SearchQuery {
  /** With any of `* ? [ {` a glob on the whole key (`**` crosses folders), else a
   * substring; case-insensitive; `""` matches everything. */
  q: string;
  /** Only under this prefix (`""`: the whole bucket). */
  prefix?: string;
  /** Bytes: larger than. */
  larger?: number | null;
  /** Bytes: smaller than. */
  smaller?: number | null;
  /** Seconds: modified within (younger than). */
  newer?: number | null;
  /** Seconds: modified before (older than). */
  older?: number | null;
  /** A storage class (`STANDARD`, `GLACIER`…). */
  storageClass?: string | null;
  /** The most matches (the server's default is 1000, its maximum 100,000). */
  limit?: number | null;
}
