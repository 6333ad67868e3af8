// The backups page's model: repositories, the backup job form, a running backup's
// progress, runs' details and the history chart, snapshots, the lazy snapshot tree
// (flattened for a virtual list), a file's timeline, restore and retention requests.
// Pure: nothing here calls the API or touches the DOM.

import { toApiError } from './errors';
import { formatBytes, formatCount, formatDate, formatEta, formatRate, percent, plural } from './format';
import { runChart, scheduleEdit, type ChartOptions, type RunChart, type ScheduleDraft, type ScheduleField } from './jobs';
import type {
  AddRepo,
  BackupEntry,
  BackupParams,
  BackupRunDetails,
  CheckOutcome,
  ForgetAnswer,
  Job,
  KeepPolicy,
  NewJob,
  Overwrite,
  PruneOutcome,
  RepoRecord,
  RestoreOutcome,
  RestoreRequest,
  RunRecord,
  SnapshotInfo,
  Version,
} from './types';

/** A problem with one field of a form (`field` as the API names it in a 400). */
export interface FieldProblem {
  field: string;
  problem: string;
}

// --- repositories --------------------------------------------------------------------

/** A repository's key in selects and maps: profile names have no `:`. */
export function repoKey(profile: string, url: string): string {
  return `${profile}:${url}`;
}

export function keyOfRepo(repo: Pick<RepoRecord, 'profile' | 'url'>): string {
  return repoKey(repo.profile, repo.url);
}

export function findRepo(repos: readonly RepoRecord[], key: string): RepoRecord | null {
  return repos.find((r) => keyOfRepo(r) === key) ?? null;
}

/** "s3://backups/laptop/ (garage)". */
export function repoLabel(repo: Pick<RepoRecord, 'profile' | 'url'>): string {
  return `${repo.url} (${repo.profile})`;
}

/** Why a repository URL cannot be right, or null: `s3://bucket` or `s3://bucket/prefix/`. */
export function repoUrlProblem(url: string): string | null {
  const u = url.trim();
  if (!u) return 'Enter the repository, such as s3://bucket/backups/.';
  const m = /^s3:\/\/([^/]+)(\/.*)?$/.exec(u);
  if (!m) return 'A repository is s3://BUCKET or s3://BUCKET/PREFIX/.';
  const key = (m[2] ?? '').slice(1);
  if (key.startsWith('/') || key.includes('//')) {
    return 'The prefix has an empty segment (“//”); use a plain folder such as s3://bucket/backups/.';
  }
  return null;
}

export interface RepoDraft {
  profile: string;
  url: string;
  password: string;
  /** The password again (create only). */
  confirm: string;
  create: boolean;
  appendOnly: boolean;
}

export function emptyRepoDraft(profile: string): RepoDraft {
  return { profile, url: '', password: '', confirm: '', create: true, appendOnly: false };
}

/** The `POST /api/v1/backups/repos` body, or the first problem. */
export function repoRequest(draft: RepoDraft): { request: AddRepo } | FieldProblem {
  if (!draft.profile) return { field: 'profile', problem: 'Choose a profile.' };
  const urlProblem = repoUrlProblem(draft.url);
  if (urlProblem) return { field: 'repo', problem: urlProblem };
  if (!draft.password) return { field: 'password', problem: 'Enter the repository’s password.' };
  if (draft.create && draft.password !== draft.confirm) {
    return { field: 'confirm', problem: 'The two passwords differ.' };
  }
  return {
    request: {
      profile: draft.profile,
      repo: draft.url.trim(),
      password: draft.password,
      create: draft.create,
      append_only: draft.appendOnly,
    },
  };
}

// --- the backup job form -----------------------------------------------------------------

export const KEEP_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type KeepRule = (typeof KEEP_RULES)[number];

export const KEEP_LABELS: Record<KeepRule, string> = {
  last: 'Last',
  hourly: 'Hourly',
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
  yearly: 'Yearly',
};

/** The keep rules as typed (`""`: not set). */
export type KeepDraft = Record<KeepRule, string>;

export const emptyKeep = (): KeepDraft => ({ last: '', hourly: '', daily: '', weekly: '', monthly: '', yearly: '' });

/** The rules set in a draft, or the first bad one (`keep.daily`). Null: none set. */
export function keepPolicy(draft: KeepDraft): { keep: KeepPolicy | null } | FieldProblem {
  const keep: KeepPolicy = {};
  for (const rule of KEEP_RULES) {
    const text = draft[rule].trim();
    if (!text) continue;
    if (!/^\d+$/.test(text) || Number(text) > 4_294_967_295) {
      return { field: `keep.${rule}`, problem: `Keep ${rule}: enter a whole number (or leave it empty).` };
    }
    keep[rule] = Number(text);
  }
  return { keep: Object.keys(keep).length ? keep : null };
}

/** "last 7, daily 14"; "" without rules. */
export function keepText(keep: KeepPolicy | null | undefined): string {
  if (!keep) return '';
  return KEEP_RULES.filter((r) => keep[r] !== undefined && keep[r] !== null)
    .map((r) => `${r} ${keep[r]}`)
    .join(', ');
}

/** Non-empty trimmed lines. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Tags typed as `a, b c`: split on commas and blanks, unique, in order. */
export function tagList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((t) => t !== ''))];
}

/** Whether a local path is absolute (POSIX, or Windows `C:\` / `\\server`). */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

export interface BackupJobDraft {
  name: string;
  /** A `repoKey`. */
  repo: string;
  /** One folder per line. */
  paths: string;
  /** One glob per line. */
  excludes: string;
  /** One file of patterns per line. */
  excludeFiles: string;
  gitIgnore: boolean;
  oneFileSystem: boolean;
  excludeCaches: boolean;
  /** Comma or blank separated. */
  tags: string;
  schedule: ScheduleDraft;
  keep: KeepDraft;
  prune: boolean;
  runNow: boolean;
}

export function emptyJobDraft(repo = ''): BackupJobDraft {
  return {
    name: '',
    repo,
    paths: '',
    excludes: '',
    excludeFiles: '',
    gitIgnore: false,
    oneFileSystem: false,
    excludeCaches: false,
    tags: '',
    schedule: { mode: 'none', every: '1d', cron: '0 3 * * *', tz: '' },
    keep: emptyKeep(),
    prune: false,
    runNow: false,
  };
}

/** The `POST /api/v1/jobs` body of a backup job, or the first problem (fields named
 * as the API names them: `params.paths`, `schedule.every`, `keep.daily`…). */
export function backupJobRequest(draft: BackupJobDraft, repos: readonly RepoRecord[]): { job: NewJob<BackupParams> } | FieldProblem {
  const repo = findRepo(repos, draft.repo);
  if (!repo) return { field: 'params.repo', problem: 'Choose a repository (add one under Repositories first).' };
  const paths = lines(draft.paths);
  if (!paths.length) return { field: 'params.paths', problem: 'Enter at least one folder to back up, one per line.' };
  const relative = paths.find((p) => !isAbsolutePath(p));
  if (relative) return { field: 'params.paths', problem: `“${relative}” is not an absolute path.` };
  const excludeFiles = lines(draft.excludeFiles);
  const relativeFile = excludeFiles.find((p) => !isAbsolutePath(p));
  if (relativeFile) return { field: 'params.exclude_files', problem: `“${relativeFile}” is not an absolute path.` };
  const kept = keepPolicy(draft.keep);
  if ('problem' in kept) return kept;
  if (draft.prune && !kept.keep) {
    return { field: 'params.prune', problem: 'Prune runs after the keep rules: set at least one, or untick prune.' };
  }
  const edit = scheduleEdit(draft.schedule);
  if ('problem' in edit) return { field: edit.field, problem: edit.problem };
  const params: BackupParams = {
    profile: repo.profile,
    repo: repo.url,
    paths,
    excludes: lines(draft.excludes),
    exclude_files: excludeFiles,
    git_ignore: draft.gitIgnore,
    one_file_system: draft.oneFileSystem,
    exclude_caches: draft.excludeCaches,
    tags: tagList(draft.tags),
    keep: kept.keep,
    prune: draft.prune && !!kept.keep,
  };
  const job: NewJob<BackupParams> = { kind: 'backup', params, run_now: draft.runNow };
  if (draft.name.trim()) job.name = draft.name.trim();
  if (edit.change.schedule) job.schedule = edit.change.schedule;
  return { job };
}

/** The schedule fields a problem can be about (they show it under themselves). */
export const SCHEDULE_FIELDS: readonly ScheduleField[] = ['schedule.every', 'schedule.cron', 'schedule.tz'];

// --- backup jobs -------------------------------------------------------------------------

export function isBackupJob(job: Job): boolean {
  return job.kind === 'backup';
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A backup job's params, read defensively (the server's are the truth). */
export function backupParamsOf(job: Job): BackupParams {
  const p = job.params ?? {};
  const keep = p.keep && typeof p.keep === 'object' ? (p.keep as KeepPolicy) : null;
  return {
    profile: typeof p.profile === 'string' ? p.profile : '',
    repo: typeof p.repo === 'string' ? p.repo : '',
    paths: strings(p.paths),
    excludes: strings(p.excludes),
    exclude_files: strings(p.exclude_files),
    git_ignore: p.git_ignore === true,
    one_file_system: p.one_file_system === true,
    exclude_caches: p.exclude_caches === true,
    tags: strings(p.tags),
    keep,
    prune: p.prune === true,
  };
}

export interface BackupProgress {
  /** 0–100 when the total is known. */
  percent: number | null;
  /** "1,234 / 10,000 files" (or "1,234 files" without a total). */
  files: string;
  /** "1.2 GiB / 3 GiB". */
  bytes: string;
  /** "4 MiB/s". */
  rate: string;
  /** "2 min left", "" when unknown. */
  eta: string;
  /** All of it, one line. */
  text: string;
}

/** A running backup's files, bytes, rate and ETA; null without progress. */
export function backupProgress(job: Job): BackupProgress | null {
  const p = job.progress;
  if (!p || job.state !== 'running') return null;
  const files = p.items_total > 0 ? `${formatCount(p.items_done)} / ${plural(p.items_total, 'file')}` : plural(p.items_done, 'file');
  const bytes = p.bytes_total > 0 ? `${formatBytes(p.bytes_done)} / ${formatBytes(p.bytes_total)}` : formatBytes(p.bytes_done);
  const rate = formatRate(p.rate);
  const eta = p.eta !== null && p.eta !== undefined && Number.isFinite(p.eta) ? `${formatEta(p.eta)} left` : '';
  const pct = percent(p.bytes_done, p.bytes_total) ?? percent(p.items_done, p.items_total);
  const text = [files, bytes, rate === '—' ? '' : rate, eta].filter(Boolean).join(' · ');
  return { percent: pct, files, bytes, rate, eta, text };
}

// --- runs --------------------------------------------------------------------------------

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A backup run's details, or null when it has none (failed before a snapshot). */
export function runDetails(run: RunRecord): BackupRunDetails | null {
  const d = run.details;
  if (!d || typeof d !== 'object' || typeof d.snapshot !== 'string') return null;
  const out: BackupRunDetails = {
    snapshot: d.snapshot,
    files_new: num(d.files_new),
    files_changed: num(d.files_changed),
    files_unmodified: num(d.files_unmodified),
    bytes_added: num(d.bytes_added),
    bytes_added_packed: num(d.bytes_added_packed),
    repo_size: num(d.repo_size),
    resumed_packs: num(d.resumed_packs),
    errors: num(d.errors),
    first_errors: strings(d.first_errors),
  };
  if (typeof d.forgotten === 'number') out.forgotten = d.forgotten;
  if (typeof d.pruned_bytes === 'number') out.pruned_bytes = d.pruned_bytes;
  return out;
}

/** The bytes a run added to the repository (0 without details). */
export function bytesAdded(run: RunRecord): number {
  return runDetails(run)?.bytes_added ?? 0;
}

/** The history chart of a backup job: duration and bytes added per run. */
export function backupChart(history: readonly RunRecord[], options: Omit<ChartOptions, 'bytesOf'> = {}): RunChart {
  return runChart(history, { ...options, bytesOf: bytesAdded });
}

/** "3 new, 1 changed, 10 unchanged". */
export function filesText(d: Pick<BackupRunDetails, 'files_new' | 'files_changed' | 'files_unmodified'>): string {
  return `${formatCount(d.files_new)} new, ${formatCount(d.files_changed)} changed, ${formatCount(d.files_unmodified)} unchanged`;
}

/** "1.2 MiB (800 KiB stored)". */
export function addedText(d: Pick<BackupRunDetails, 'bytes_added' | 'bytes_added_packed'>): string {
  return `${formatBytes(d.bytes_added)} (${formatBytes(d.bytes_added_packed)} stored)`;
}

/** The first 8 hex digits of an id. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

// --- snapshots ---------------------------------------------------------------------------

/** Newest first (the API answers oldest first). */
export function newestFirst(snapshots: readonly SnapshotInfo[]): SnapshotInfo[] {
  return [...snapshots].sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.id < b.id ? 1 : -1));
}

/** "1,234 files, 3.2 GiB" or "" without a summary. */
export function snapshotSize(s: SnapshotInfo): string {
  if (!s.summary) return '';
  return `${plural(s.summary.total_files, 'file')}, ${formatBytes(s.summary.total_bytes)}`;
}

// --- the snapshot tree -------------------------------------------------------------------
// A folder's entries are asked for once, when it is first opened (`ls`); the tree is
// flattened into the rows a virtual list shows (vlist.ts), so 10,000 entries in one
// folder cost one request and at most a screenful of DOM rows.

export type FolderState =
  | { state: 'loading' }
  | { state: 'loaded'; entries: readonly BackupEntry[] }
  | { state: 'error'; message: string };

export interface TreeModel {
  /** By folder path (`/` the root, never a trailing `/` otherwise). */
  folders: ReadonlyMap<string, FolderState>;
  /** Open folders; the root always is. */
  expanded: ReadonlySet<string>;
}

export const emptyTree: TreeModel = { folders: new Map(), expanded: new Set(['/']) };

/** A folder path as the tree keys it: `""` and `/` → `/`, no trailing `/`. */
export function dirKey(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The folder holding a path (`/a/b` → `/a`, `/a` → `/`). */
export function parentDir(path: string): string {
  const p = dirKey(path);
  if (p === '/') return '/';
  const cut = p.lastIndexOf('/');
  return cut <= 0 ? '/' : p.slice(0, cut);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Folders first, then by name (numbers in order, case aside), then by path. */
export function sortEntries(entries: readonly BackupEntry[]): BackupEntry[] {
  return [...entries].sort(
    (a, b) =>
      Number(b.kind === 'dir') - Number(a.kind === 'dir') ||
      collator.compare(a.name, b.name) ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

export function withFolder(model: TreeModel, path: string, state: FolderState): TreeModel {
  const folders = new Map(model.folders);
  folders.set(dirKey(path), state.state === 'loaded' ? { state: 'loaded', entries: sortEntries(state.entries) } : state);
  return { ...model, folders };
}

export function setExpanded(model: TreeModel, path: string, open: boolean): TreeModel {
  const key = dirKey(path);
  if (key === '/' || model.expanded.has(key) === open) return model;
  const expanded = new Set(model.expanded);
  if (open) expanded.add(key);
  else expanded.delete(key);
  return { ...model, expanded };
}

/** Whether a folder must be asked for: open, and neither loaded nor loading. */
export function needsLoad(model: TreeModel, path: string): boolean {
  const key = dirKey(path);
  const f = model.folders.get(key);
  return model.expanded.has(key) && (!f || f.state === 'error');
}

export type TreeRow =
  | { type: 'entry'; key: string; depth: number; entry: BackupEntry; expanded: boolean; loading: boolean; posinset: number; setsize: number }
  | { type: 'loading' | 'empty' | 'error'; key: string; depth: number; folder: string; message: string };

/** The rows in view order: each open folder's entries under it, one level deeper; a
 * folder being read, empty or unreadable has one note row. Iterative, so a deep tree
 * cannot overflow the stack. */
export function flattenTree(model: TreeModel, root = '/'): TreeRow[] {
  const rows: TreeRow[] = [];
  const visit = (folder: string, depth: number, out: TreeRow[]) => {
    const state = model.folders.get(folder);
    if (!state || state.state === 'loading') {
      out.push({ type: 'loading', key: `${folder}\u0000loading`, depth, folder, message: 'Loading…' });
    } else if (state.state === 'error') {
      out.push({ type: 'error', key: `${folder}\u0000error`, depth, folder, message: state.message });
    } else if (state.entries.length === 0) {
      out.push({ type: 'empty', key: `${folder}\u0000empty`, depth, folder, message: 'Empty folder' });
    }
  };
  // A stack of [folder, depth, next index].
  const stack: [string, number, number][] = [[dirKey(root), 0, 0]];
  visit(dirKey(root), 0, rows);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [folder, depth, index] = top;
    const state = model.folders.get(folder);
    const entries = state?.state === 'loaded' ? state.entries : [];
    if (index >= entries.length) {
      stack.pop();
      continue;
    }
    top[2] = index + 1;
    const entry = entries[index];
    const dir = entry.kind === 'dir';
    const key = dirKey(entry.path);
    const open = dir && model.expanded.has(key);
    const sub = model.folders.get(key);
    rows.push({
      type: 'entry',
      key: entry.path,
      depth,
      entry,
      expanded: open,
      loading: open && (!sub || sub.state === 'loading'),
      posinset: index + 1,
      setsize: entries.length,
    });
    if (open) {
      visit(key, depth + 1, rows);
      stack.push([key, depth + 1, 0]);
    }
  }
  return rows;
}

/** The only entry of a folder when it is a folder (the path down to what was backed
 * up: `/home` → `/home/me` → …), so opening a snapshot can open the chain at once. */
export function loneFolder(entries: readonly BackupEntry[]): BackupEntry | null {
  return entries.length === 1 && entries[0].kind === 'dir' ? entries[0] : null;
}

/** The row index of a path, or -1. */
export function rowIndex(rows: readonly TreeRow[], path: string): number {
  return rows.findIndex((r) => r.type === 'entry' && r.key === path);
}

/** Where Left goes from an entry row: its folder's row (-1 at the top level). */
export function parentRow(rows: readonly TreeRow[], index: number): number {
  const row = rows[index];
  if (!row) return -1;
  for (let i = index - 1; i >= 0; i--) {
    if (rows[i].depth < row.depth) return i;
  }
  return -1;
}

// --- a file's timeline -------------------------------------------------------------------

export interface VersionRow {
  version: Version;
  /** The snapshot a restore of this version uses: the last one holding it. */
  snapshot: string;
  count: number;
  /** "3 snapshots". */
  countText: string;
  /** "2026-03-01 03:00 → 2026-03-10 03:00" (one date when first = last). */
  seen: string;
  /** "12 KiB" (files), "folder", "link". */
  sizeText: string;
  /** The size change from the version before: "+1.5 KiB", "−200 B", "same size", "" for the first. */
  change: string;
  /** The newest version (what the latest snapshot holding the path has). */
  latest: boolean;
}

function signed(delta: number): string {
  if (delta === 0) return 'same size';
  return `${delta > 0 ? '+' : '−'}${formatBytes(Math.abs(delta))}`;
}

/** The versions of a path, newest first, each with what one-click restore needs. */
export function versionRows(versions: readonly Version[]): VersionRow[] {
  const oldestFirst = [...versions].sort(
    (a, b) => Date.parse(a.last_seen) - Date.parse(b.last_seen) || Date.parse(a.first_seen) - Date.parse(b.first_seen),
  );
  const rows = oldestFirst.map((version, i): VersionRow => {
    const first = formatDate(version.first_seen);
    const last = formatDate(version.last_seen);
    const prev = oldestFirst[i - 1];
    return {
      version,
      snapshot: version.snapshots[version.snapshots.length - 1] ?? '',
      count: version.snapshots.length,
      countText: plural(version.snapshots.length, 'snapshot'),
      seen: first === last ? first : `${first} → ${last}`,
      sizeText: version.kind === 'file' ? formatBytes(version.size) : version.kind === 'dir' ? 'folder' : version.kind === 'symlink' ? 'link' : version.kind,
      change: prev && version.kind === 'file' && prev.kind === 'file' ? signed(version.size - prev.size) : '',
      latest: i === oldestFirst.length - 1,
    };
  });
  return rows.reverse();
}

// --- restore -----------------------------------------------------------------------------

export const OVERWRITE_LABELS: Record<Overwrite, string> = {
  never: 'Never: stop if an existing file differs',
  'if-changed': 'Replace files that differ',
  always: 'Replace every existing file',
};

/** The body of a restore, or what is wrong with the target. */
export function restoreRequest(
  repo: Pick<RepoRecord, 'profile' | 'url'>,
  snapshot: string,
  path: string,
  target: string,
  overwrite: Overwrite = 'never',
): { request: RestoreRequest } | FieldProblem {
  const t = target.trim();
  if (!t) return { field: 'target', problem: 'Enter the folder to restore into.' };
  if (!isAbsolutePath(t)) return { field: 'target', problem: `“${t}” is not an absolute path.` };
  return { request: { profile: repo.profile, repo: repo.url, snapshot, path, target: t, overwrite } };
}

/** A refusal to overwrite differing files (offer if-changed / always). */
export function isWouldOverwrite(e: unknown): boolean {
  return toApiError(e).code === 'would_overwrite';
}

/** "3 files restored (1.2 MiB), 1 unchanged, 1 replaced, 2 folders". */
export function restoreText(o: RestoreOutcome): string {
  const parts = [`${plural(o.files_restored, 'file')} restored (${formatBytes(o.bytes_restored)})`];
  if (o.files_unchanged) parts.push(`${formatCount(o.files_unchanged)} unchanged`);
  if (o.files_replaced) parts.push(`${formatCount(o.files_replaced)} replaced`);
  if (o.dirs_restored) parts.push(plural(o.dirs_restored, 'folder'));
  if (o.resumed) parts.push('resumed');
  return parts.join(', ');
}

let restoreCounter = 0;

/** An id for a restore's one-off job (`x-coffer-job-id`: 1–64 of A-Z a-z 0-9 _ -). */
export function newRestoreId(now = Date.now()): string {
  const random = Math.floor(Math.random() * 0x1000000).toString(36);
  return `restore-${now.toString(36)}-${(++restoreCounter).toString(36)}-${random}`;
}

/** Whether a job is the one-off job of this restore: by the id the request named it
 * with, or (the desktop's IPC sends no header) by what it restores. */
export function isRestoreJob(job: Job, id: string, request: RestoreRequest): boolean {
  if (job.id === id) return true;
  if (job.kind !== 'restore' || !job.oneoff) return false;
  const p = job.params ?? {};
  return p.profile === request.profile && p.repo === request.repo && p.snapshot === request.snapshot && p.path === request.path;
}

// --- retention, prune, check -------------------------------------------------------------

/** What the maintenance dialog does: keep rules (forget, then prune if asked), prune, check. */
export type MaintenanceAction = 'forget' | 'prune' | 'check';

export interface ForgetSummary {
  kept: number;
  removed: number;
  /** "2 snapshots would go, 5 stay." / "Removed 2 snapshots; 5 stay." */
  text: string;
}

export function forgetSummary(answer: ForgetAnswer): ForgetSummary {
  const decisions = answer.forget.decisions;
  const removed = decisions.filter((d) => !d.keep).length;
  const kept = decisions.length - removed;
  const stay = `${formatCount(kept)} stay${kept === 1 ? 's' : ''}`;
  const text = answer.forget.dry_run
    ? `${plural(removed, 'snapshot')} would go, ${stay}.`
    : `Removed ${plural(answer.forget.removed, 'snapshot')}; ${stay}.`;
  return { kept, removed, text };
}

/** "Would free 12 MiB: 3 packs removed, 1 repacked; the repository is 1.2 GiB." */
export function pruneText(p: PruneOutcome): string {
  const verb = p.dry_run ? 'Would free' : 'Freed';
  return `${verb} ${formatBytes(p.bytes_freed)}: ${plural(p.packs_removed, 'pack')} removed, ${formatCount(p.packs_repacked)} repacked, ${formatCount(p.packs_kept)} kept; the repository is ${formatBytes(p.repo_size)}.`;
}

/** "No errors (1 warning); read 10% of the data." */
export function checkText(c: CheckOutcome): string {
  const errors = c.findings.filter((f) => f.level === 'error').length;
  const warnings = c.findings.length - errors;
  const head = errors ? `${plural(errors, 'error')} found` : 'No errors';
  const warn = warnings ? ` (${plural(warnings, 'warning')})` : '';
  const read = c.read_data ? `; read ${c.read_data} of the data` : '; structure only';
  return `${head}${warn}${read}.`;
}
