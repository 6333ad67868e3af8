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

export type JobKind = 'upload' | 'download';
export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'canceled';

export interface Job {
  id: string;
  kind: JobKind;
  profile: string;
  bucket: string;
  key: string;
  path: string;
  state: JobState;
  progress: Progress | null;
  error: ErrorBody | null;
  created: string;
}

export interface NewJob {
  kind: JobKind;
  profile: string;
  bucket: string;
  key: string;
  path: string;
}

/** A transfer event (`event: transfer` on SSE, or the Tauri channel). */
export type TransferEvent =
  | {
      kind: 'started' | 'progress' | 'done' | 'failed';
      id: string;
      profile: string;
      bucket: string;
      key: string;
      progress: Progress | null;
      error: ErrorBody | null;
    }
  | { kind: 'job'; job: Job };

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
