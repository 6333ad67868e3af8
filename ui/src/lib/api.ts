// The one API client. Everything above it calls these methods and never knows
// whether they go over Tauri IPC (desktop) or HTTP (`coffer serve` in a browser).

import { isNoIndex, parseSearchLine, searchParams } from './bucket-index';
import { ApiError } from './errors';
import { EventHub } from './event-hub';
import { LineSplitter, splitLines } from './ndjson';
import { bucketPath, profilePath } from './paths';
import type {
  CostPreview,
  CostPreviewRequest,
  DrillReport,
  ReplicaTimeline,
  ReplicationJob,
  ReplicationRestoreReport,
  ReplicationRestoreRequest,
} from './replication';
import { JOB_ID_HEADER, type EventHandlers, type Transport } from './transport';
import { HttpTransport } from './transport-http';
import { TauriTransport, isTauri } from './transport-tauri';
import type {
  AddRepo,
  ApiSettings,
  BackupEntry,
  BucketInfo,
  BucketRule,
  CheckOutcome,
  CopyReport,
  CopyRequest,
  FolderRefresh,
  FolderSize,
  ForgetAnswer,
  IndexInfo,
  IndexOverview,
  IndexPage,
  IndexSettings,
  Job,
  JobChange,
  KeepPolicy,
  ListPage,
  MetadataChange,
  NewJob,
  NewProfile,
  ObjectMeta,
  PresignAnswer,
  PresignMethod,
  Profile,
  PruneOutcome,
  RepoRecord,
  RestoreOutcome,
  RestoreRequest,
  RuleInput,
  RulePreview,
  RunRecord,
  SearchQuery,
  SearchSummary,
  Share,
  ShareUrl,
  SnapshotInfo,
  TestAnswer,
  TransferKind,
  TransferParams,
  ObjectSummary,
  TransferSettings,
  UiSettings,
  UploadRule,
  Version,
} from './types';

/** The most keys one `…/rules/preview` call takes. */
export const PREVIEW_BATCH = 1000;

/** `POST /api/v1/jobs/{id}/{action}`; `run` runs it now. */
export type JobAction = 'pause' | 'resume' | 'cancel' | 'retry' | 'run';

export interface ListOptions {
  continuation?: string | null;
  maxKeys?: number;
  recursive?: boolean;
}

export class CofferApi {
  private readonly events: EventHub;

  constructor(readonly transport: Transport) {
    this.events = new EventHub((handlers) => transport.subscribe(handlers));
  }

  /** Whether this runs in the desktop app (local paths, native dialogs). */
  get desktop(): boolean {
    return this.transport.kind === 'tauri';
  }

  private get<T>(path: string, query?: Record<string, string>): Promise<T> {
    return this.transport.json<T>({ method: 'GET', path, query });
  }

  private send<T>(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    query?: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<T> {
    return this.transport.json<T>(headers ? { method, path, body, query, headers } : { method, path, body, query });
  }

  /** Live events; every caller shares one subscription of the transport. */
  subscribe(handlers: EventHandlers): () => void {
    return this.events.subscribe(handlers);
  }

  // --- profiles ---------------------------------------------------------------

  listProfiles(): Promise<Profile[]> {
    return this.get('/api/v1/profiles');
  }

  /** Adds a profile, or replaces it with `replace: true`. */
  saveProfile(profile: NewProfile): Promise<Profile> {
    return this.send('POST', '/api/v1/profiles', profile);
  }

  removeProfile(name: string): Promise<null> {
    return this.send('DELETE', profilePath(name));
  }

  testProfile(name: string): Promise<TestAnswer> {
    return this.send('POST', profilePath(name, '/test'));
  }

  awsProfiles(): Promise<string[]> {
    return this.get('/api/v1/aws-profiles');
  }

  // --- buckets ----------------------------------------------------------------

  listBuckets(profile: string): Promise<BucketInfo[]> {
    return this.get(profilePath(profile, '/buckets'));
  }

  createBucket(profile: string, name: string): Promise<null> {
    return this.send('POST', profilePath(profile, '/buckets'), { name });
  }

  // --- objects ----------------------------------------------------------------

  listObjects(profile: string, bucket: string, prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const query: Record<string, string> = { prefix };
    if (options.continuation) query.continuation = options.continuation;
    if (options.maxKeys) query.max_keys = String(options.maxKeys);
    if (options.recursive) query.recursive = 'true';
    return this.get(bucketPath(profile, bucket, '/objects'), query);
  }

  meta(profile: string, bucket: string, key: string): Promise<ObjectMeta> {
    return this.get(bucketPath(profile, bucket, '/object/meta'), { key });
  }

  saveMetadata(profile: string, bucket: string, change: MetadataChange): Promise<ObjectMeta> {
    return this.send('POST', bucketPath(profile, bucket, '/metadata'), change);
  }

  /** Deletes objects, and everything under folder prefixes. */
  deleteMany(profile: string, bucket: string, keys: string[], prefixes: string[]): Promise<{ deleted: number }> {
    return this.send('POST', bucketPath(profile, bucket, '/delete'), { keys, prefixes });
  }

  /** Creates an empty folder; `key` ends in `/`. */
  createFolder(profile: string, bucket: string, key: string): Promise<null> {
    return this.send('POST', bucketPath(profile, bucket, '/folder'), { key });
  }

  /** Renames or moves an object, or a folder with `recursive`. */
  move(profile: string, bucket: string, request: CopyRequest): Promise<CopyReport> {
    return this.send('POST', bucketPath(profile, bucket, '/move'), request);
  }

  copy(profile: string, bucket: string, request: CopyRequest): Promise<CopyReport> {
    return this.send('POST', bucketPath(profile, bucket, '/copy'), request);
  }

  /** A presigned link (recorded on the Shares page); 1 second to 7 days. */
  presign(profile: string, bucket: string, key: string, expiresSecs: number, method: PresignMethod = 'GET'): Promise<PresignAnswer> {
    return this.send('POST', bucketPath(profile, bucket, '/presign'), {
      key,
      method, // the API's PresignMethod is upper-case
      expires_secs: expiresSecs,
    });
  }

  /** The first `rangeEnd + 1` bytes of an object (for previews). */
  firstBytes(profile: string, bucket: string, key: string, rangeEnd: number): Promise<ArrayBuffer> {
    return this.transport.bytes(bucketPath(profile, bucket, '/object'), { key }, rangeEnd);
  }

  // --- share links --------------------------------------------------------------

  /** Every recorded link: live ones first (newest first), then expired ones. */
  async shares(): Promise<Share[]> {
    return (await this.get<{ shares: Share[] }>('/api/v1/shares')).shares;
  }

  /** The same link again (signed again for the same moment and lifetime); rejects
   * with `not_found` for an unknown id and `expired` once it has expired. */
  shareUrl(id: string): Promise<ShareUrl> {
    return this.send('POST', `/api/v1/shares/${encodeURIComponent(id)}/url`);
  }

  /** Forgets the record; the link itself keeps working until it expires. */
  forgetShare(id: string): Promise<null> {
    return this.send('DELETE', `/api/v1/shares/${encodeURIComponent(id)}`);
  }

  // --- upload header rules ----------------------------------------------------------

  /** A bucket's rules, in order. */
  async rules(profile: string, bucket: string): Promise<UploadRule[]> {
    return (await this.get<{ rules: UploadRule[] }>(bucketPath(profile, bucket, '/rules'))).rules;
  }

  /** Replaces the bucket's whole ordered list; a bad rule is refused (400, naming it)
   * and nothing is saved. */
  async saveRules(profile: string, bucket: string, rules: RuleInput[]): Promise<UploadRule[]> {
    return (await this.send<{ rules: UploadRule[] }>('PUT', bucketPath(profile, bucket, '/rules'), { rules })).rules;
  }

  /** Appends one rule. */
  addRule(profile: string, bucket: string, rule: RuleInput): Promise<UploadRule> {
    return this.send('POST', bucketPath(profile, bucket, '/rules'), rule);
  }

  removeRule(profile: string, bucket: string, id: string): Promise<null> {
    return this.send('DELETE', bucketPath(profile, bucket, `/rules/${encodeURIComponent(id)}`));
  }

  /** The rules of every bucket of a profile. */
  async allRules(profile: string): Promise<BucketRule[]> {
    return (await this.get<{ rules: BucketRule[] }>(profilePath(profile, '/rules'))).rules;
  }

  /** What an upload of each key would be given, in the keys' order (batches of
   * `PREVIEW_BATCH`, one after the other). */
  async previewRules(profile: string, bucket: string, keys: string[]): Promise<RulePreview[]> {
    const out: RulePreview[] = [];
    for (let i = 0; i < keys.length; i += PREVIEW_BATCH) {
      const batch = keys.slice(i, i + PREVIEW_BATCH);
      const answer = await this.send<{ previews: RulePreview[] }>('POST', bucketPath(profile, bucket, '/rules/preview'), { keys: batch });
      out.push(...answer.previews);
    }
    return out;
  }

  // --- the local index of a bucket --------------------------------------------------

  /** Every index, and their size on disk. */
  indexes(): Promise<IndexOverview> {
    return this.get('/api/v1/index');
  }

  indexSettings(): Promise<IndexSettings> {
    return this.get('/api/v1/settings/index');
  }

  /** Rejects with 400 on bad values. */
  saveIndexSettings(settings: IndexSettings): Promise<IndexSettings> {
    return this.send('PUT', '/api/v1/settings/index', settings);
  }

  /** The bucket's index, or null when it has none (404 `not_found`). */
  async bucketIndex(profile: string, bucket: string): Promise<IndexInfo | null> {
    try {
      return await this.get<IndexInfo>(bucketPath(profile, bucket, '/index'));
    } catch (e) {
      if (isNoIndex(e)) return null;
      throw e;
    }
  }

  /** Builds the index, or refreshes it by listing the whole bucket again, in the
   * background (follow it with `bucketIndex`). Without `force` a build stops at the
   * settings' `auto_limit` objects as `too_big`. */
  buildIndex(profile: string, bucket: string, options: { force?: boolean; wait?: boolean } = {}): Promise<IndexInfo> {
    const body: { force?: boolean; wait?: boolean } = {};
    if (options.force) body.force = true;
    if (options.wait) body.wait = true;
    return this.send('POST', bucketPath(profile, bucket, '/index'), body);
  }

  forgetIndex(profile: string, bucket: string): Promise<null> {
    return this.send('DELETE', bucketPath(profile, bucket, '/index'));
  }

  /** One folder level from the index, like `listObjects` (pass `next_token` as
   * `startAfter`); rejects with `not_found` when the bucket has no ready index. */
  indexList(profile: string, bucket: string, prefix: string, startAfter?: string | null, limit?: number): Promise<IndexPage> {
    const query: Record<string, string> = { prefix };
    if (startAfter) query.start_after = startAfter;
    if (limit) query.limit = String(limit);
    return this.get(bucketPath(profile, bucket, '/index/list'), query);
  }

  /** Lists one folder level on the server now and applies the difference to the index. */
  refreshFolder(profile: string, bucket: string, prefix: string): Promise<FolderRefresh> {
    return this.send('POST', bucketPath(profile, bucket, '/index/refresh-folder'), undefined, { prefix });
  }

  /** Objects and bytes under a prefix, at any depth, from the index. */
  folderSize(profile: string, bucket: string, prefix: string): Promise<FolderSize> {
    return this.get(bucketPath(profile, bucket, '/index/size'), { prefix });
  }

  /** Searches the index: `onMatch` gets each match as it arrives (in key order; over
   * HTTP they stream, over the desktop's IPC they come at once at the end); resolves
   * with the summary line. Rejects with `cancelled` when `signal` aborts. */
  async searchIndex(
    profile: string,
    bucket: string,
    query: SearchQuery,
    onMatch: (match: ObjectSummary) => void,
    signal?: AbortSignal,
  ): Promise<SearchSummary> {
    const path = bucketPath(profile, bucket, '/index/search');
    const params = searchParams(query);
    let summary: SearchSummary | null = null;
    const take = (line: string) => {
      if (signal?.aborted) throw new ApiError('cancelled', 'The search was stopped.');
      const parsed = parseSearchLine(line);
      if (parsed.kind === 'done') summary = parsed.summary;
      else if (!summary) onMatch(parsed.match);
    };
    if (this.transport.stream) {
      const splitter = new LineSplitter();
      await this.transport.stream(path, params, (text) => splitter.push(text).forEach(take), signal);
      splitter.end().forEach(take);
    } else {
      const body = await this.transport.bytes(path, params);
      if (signal?.aborted) throw new ApiError('cancelled', 'The search was stopped.');
      splitLines(new TextDecoder().decode(body)).forEach(take);
    }
    if (!summary) throw new ApiError('incomplete', 'The search ended before it said it was done; try again.');
    return summary;
  }

  // --- jobs -------------------------------------------------------------------

  listJobs(): Promise<Job[]> {
    return this.get('/api/v1/jobs');
  }

  job(id: string): Promise<Job> {
    return this.get(`/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  createJob<P extends object>(job: NewJob<P>): Promise<Job> {
    return this.send('POST', '/api/v1/jobs', job);
  }

  /** An upload or download job (it runs at once). */
  createTransferJob(kind: TransferKind, params: TransferParams): Promise<Job> {
    return this.createJob<TransferParams>({ kind, params });
  }

  /** Changes a job's name, schedule, enabled switch, notifications or webhook. */
  updateJob(id: string, change: JobChange): Promise<Job> {
    return this.send('PUT', `/api/v1/jobs/${encodeURIComponent(id)}`, change);
  }

  /** The job kinds the server knows. */
  jobKinds(): Promise<string[]> {
    return this.get('/api/v1/jobs/kinds');
  }

  /** The job's runs, oldest first. */
  jobHistory(id: string): Promise<RunRecord[]> {
    return this.get(`/api/v1/jobs/${encodeURIComponent(id)}/history`);
  }

  jobAction(id: string, action: JobAction): Promise<Job> {
    return this.send('POST', `/api/v1/jobs/${encodeURIComponent(id)}/${action}`);
  }

  deleteJob(id: string): Promise<null> {
    return this.send('DELETE', `/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  pauseAll(): Promise<Job[]> {
    return this.send('POST', '/api/v1/jobs/pause-all');
  }

  resumeAll(): Promise<Job[]> {
    return this.send('POST', '/api/v1/jobs/resume-all');
  }

  // --- backups ----------------------------------------------------------------
  // Paths in a snapshot are absolute as backed up (`/home/me/a b.txt`); they travel
  // as query values, never as path segments, so any character is fine.

  /** The repositories this host knows. */
  backupRepos(): Promise<RepoRecord[]> {
    return this.get('/api/v1/backups/repos');
  }

  /** Creates a repository (`create`) or connects to one; rejects with the API's
   * `not_dedicated`, `wrong_password`, `not_repository`… */
  addBackupRepo(request: AddRepo): Promise<RepoRecord> {
    return this.send('POST', '/api/v1/backups/repos', request);
  }

  /** A repository's snapshots, oldest first. */
  snapshots(profile: string, repo: string): Promise<SnapshotInfo[]> {
    return this.get('/api/v1/backups/snapshots', { profile, repo });
  }

  /** One folder of a snapshot (`/` or `""`: its root). */
  snapshotFolder(profile: string, repo: string, snapshot: string, path: string): Promise<BackupEntry[]> {
    return this.get('/api/v1/backups/ls', { profile, repo, snapshot, path });
  }

  /** Every distinct version of a path across the snapshots, oldest first. */
  timeline(profile: string, repo: string, path: string): Promise<Version[]> {
    return this.get('/api/v1/backups/timeline', { profile, repo, path });
  }

  /** Restores a snapshot or a path of it into a local folder of the API's machine; it
   * runs as a one-off job named `jobId` (over HTTP; the desktop's IPC names it itself). */
  restore(request: RestoreRequest, jobId?: string): Promise<RestoreOutcome> {
    const headers = jobId ? { [JOB_ID_HEADER]: jobId } : undefined;
    return this.send('POST', '/api/v1/backups/restore', request, undefined, headers);
  }

  /** Applies keep rules (and prunes when asked); `dryRun` only says what would go. */
  forget(profile: string, repo: string, keep: KeepPolicy, prune: boolean, dryRun: boolean): Promise<ForgetAnswer> {
    return this.send('POST', '/api/v1/backups/forget', { profile, repo, keep, prune, dry_run: dryRun });
  }

  prune(profile: string, repo: string, dryRun: boolean): Promise<PruneOutcome> {
    return this.send('POST', '/api/v1/backups/prune', { profile, repo, dry_run: dryRun });
  }

  /** Checks the structure, and reads `readDataSubset` of the data (`10%`, `1/5`, `all`). */
  check(profile: string, repo: string, readDataSubset?: string): Promise<CheckOutcome> {
    const body: { profile: string; repo: string; read_data_subset?: string } = { profile, repo };
    if (readDataSubset) body.read_data_subset = readDataSubset;
    return this.send('POST', '/api/v1/backups/check', body);
  }

  // --- replication (jobs of kind `replicate`; added, paused and removed as jobs) -------
  // The status is not on the event stream: poll `replicationJobs`.

  /** Every replication job with its live status (or the one its last run left). */
  replicationJobs(): Promise<ReplicationJob[]> {
    return this.get('/api/v1/replication');
  }

  replicationJob(id: string): Promise<ReplicationJob> {
    return this.get(`/api/v1/replication/${encodeURIComponent(id)}`);
  }

  /** The restore points of each replica, oldest first. */
  replicationTimeline(id: string): Promise<ReplicaTimeline[]> {
    return this.get(`/api/v1/replication/${encodeURIComponent(id)}/timeline`);
  }

  /** Restores a replica into a local file of the API's machine; rejects with `exists`
   * (409) when the file is there and `force` is not set, `no_history` (404)… */
  replicationRestore(id: string, request: ReplicationRestoreRequest): Promise<ReplicationRestoreReport> {
    return this.send('POST', `/api/v1/replication/${encodeURIComponent(id)}/restore`, request);
  }

  /** A restore drill of every replica now (takes seconds); one report per replica. */
  replicationDrill(id: string): Promise<DrillReport[]> {
    return this.send('POST', `/api/v1/replication/${encodeURIComponent(id)}/drill`);
  }

  /** What replicating a database would cost; takes `window_ms` (the writes are watched). */
  replicationPreview(request: CostPreviewRequest): Promise<CostPreview> {
    return this.send('POST', '/api/v1/replication/preview', request);
  }

  // --- settings ---------------------------------------------------------------

  apiSettings(): Promise<ApiSettings> {
    return this.get('/api/v1/settings/api');
  }

  saveApiSettings(change: Partial<Pick<ApiSettings, 'embedded' | 'standalone' | 'listen'>>): Promise<ApiSettings> {
    return this.send('PUT', '/api/v1/settings/api', change);
  }

  transferSettings(): Promise<TransferSettings> {
    return this.get('/api/v1/settings/transfers');
  }

  saveTransferSettings(settings: TransferSettings): Promise<TransferSettings> {
    return this.send('PUT', '/api/v1/settings/transfers', settings);
  }

  uiSettings(): Promise<UiSettings> {
    return this.get('/api/v1/settings/ui');
  }

  saveUiSettings(settings: UiSettings): Promise<UiSettings> {
    return this.send('PUT', '/api/v1/settings/ui', settings);
  }

  apiToken(): Promise<{ token: string }> {
    return this.get('/api/v1/settings/api/token');
  }

  rotateApiToken(): Promise<{ token: string }> {
    return this.send('POST', '/api/v1/settings/api/token');
  }
}

/** The client for where the UI runs: Tauri IPC in the desktop app, else HTTP. */
export function createApi(): CofferApi {
  return new CofferApi(isTauri() ? new TauriTransport() : new HttpTransport());
}
