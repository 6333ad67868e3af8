// The jobs page's model: every job of every kind (GET /api/v1/jobs, job events), the
// words for states, schedules and runs, which actions a job offers, the schedule form,
// and the history chart's geometry. Pure: nothing here calls the API or touches the DOM.

import type { JobAction } from './api';
import { formatBytes, formatDate, formatEta, percent, relativeTime } from './format';
import type { Job, JobChange, JobEvent, JobState, RunRecord, RunResult, Schedule } from './types';

// --- the list ------------------------------------------------------------------

export type JobMap = ReadonlyMap<string, Job>;

export const noJobs: JobMap = new Map();

export function jobsFromList(list: readonly Job[]): JobMap {
  return new Map(list.map((j) => [j.id, j]));
}

export function upsertJob(jobs: JobMap, job: Job): JobMap {
  const next = new Map(jobs);
  next.set(job.id, job);
  return next;
}

export function removeJob(jobs: JobMap, id: string): JobMap {
  if (!jobs.has(id)) return jobs;
  const next = new Map(jobs);
  next.delete(id);
  return next;
}

/** One job event: the job as it is now, or gone (`removed`). */
export function applyJobEvent(jobs: JobMap, ev: JobEvent): JobMap {
  return ev.kind === 'removed' ? removeJob(jobs, ev.job.id) : upsertJob(jobs, ev.job);
}

/** The server's list, answered while events kept coming: a job an event touched since
 * the request left is as `current` says (gone if it was removed), the others as listed.
 * An answer is never newer than an event that arrived while it was in flight. */
export function mergeList(list: readonly Job[], current: JobMap, touched: ReadonlySet<string>): JobMap {
  const next = new Map<string, Job>();
  for (const job of list) {
    if (!touched.has(job.id)) next.set(job.id, job);
  }
  for (const id of touched) {
    const job = current.get(id);
    if (job) next.set(id, job);
  }
  return next;
}

/** Oldest first, like the server and `coffer jobs list`. */
export function orderedJobs(jobs: JobMap): Job[] {
  return [...jobs.values()].sort((a, b) => {
    const ta = Date.parse(a.created);
    const tb = Date.parse(b.created);
    const d = (Number.isNaN(ta) ? 0 : ta) - (Number.isNaN(tb) ? 0 : tb);
    return d || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  });
}

/** The kinds to filter by: the server's, plus any a job has (sorted, unique). */
export function kindOptions(serverKinds: readonly string[], jobs: Iterable<Job>): string[] {
  const all = new Set(serverKinds);
  for (const j of jobs) all.add(j.kind);
  return [...all].sort();
}

/** The jobs of one kind; all of them for `''`. */
export function filterByKind(jobs: readonly Job[], kind: string): Job[] {
  return kind ? jobs.filter((j) => j.kind === kind) : [...jobs];
}

// --- words ---------------------------------------------------------------------

export const STATE_LABELS: Record<JobState, string> = {
  idle: 'Idle',
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  done: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

export const RESULT_LABELS: Record<RunResult, string> = {
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  paused: 'Paused',
  canceled: 'Canceled',
  interrupted: 'Interrupted',
};

/** How far a job is, 0–100, by bytes (or items when bytes are unknown); null if unknown. */
export function jobPercent(job: Job): number | null {
  const p = job.progress;
  if (!p) return null;
  return percent(p.bytes_done, p.bytes_total) ?? percent(p.items_done, p.items_total);
}

/** "Running 42%" while running with a known total, else the state's label. */
export function stateText(job: Job): string {
  const label = STATE_LABELS[job.state] ?? job.state;
  if (job.state !== 'running') return label;
  const pct = jobPercent(job);
  return pct === null ? label : `${label} ${pct}%`;
}

/** "every 1h", "cron 0 3 * * * (Europe/Paris)" (UTC without a zone), "—" without one. */
export function scheduleText(schedule: Schedule | null | undefined): string {
  if (!schedule) return '—';
  if ('every' in schedule) return `every ${schedule.every}`;
  return `cron ${schedule.cron} (${schedule.tz || 'UTC'})`;
}

/** Relative times live in format.ts (the Shares page uses them too). */
export { relativeTime } from './format';

export interface LastRun {
  result: RunResult;
  /** "Done · 5 min ago". */
  text: string;
  /** The absolute time, for a tooltip. */
  title: string;
}

/** The last run's result and when it ended (or started, while it runs); null if never. */
export function lastRunOf(job: Job, now: number): LastRun | null {
  const run = job.last_run;
  if (!run) return null;
  const at = run.ended ?? run.started;
  const label = RESULT_LABELS[run.result] ?? run.result;
  const when = relativeTime(at, now);
  return { result: run.result, text: when ? `${label} · ${when}` : label, title: formatDate(at) };
}

export interface NextRun {
  /** "disabled", "in 3 h", "—". */
  text: string;
  /** The absolute time, for a tooltip ("" without one). */
  title: string;
}

/** When it runs next, short: "disabled" when switched off, else "in 3 h", else "—". */
export function nextRunOf(job: Job, now: number): NextRun {
  if (!job.enabled) return { text: 'disabled', title: job.next_run ? formatDate(job.next_run) : '' };
  const date = formatDate(job.next_run);
  if (date === '—') return { text: '—', title: '' };
  return { text: relativeTime(job.next_run, now) || date, title: date };
}

/** The same, long: "2024-05-01 03:00 (in 3 h)", "disabled" or "—". */
export function nextRunText(job: Job, now: number): string {
  const next = nextRunOf(job, now);
  if (!next.title || !job.enabled) return next.text;
  return next.text === next.title ? next.title : `${next.title} (${next.text})`;
}

/** A job's params as label/value pairs, for the details pane. */
export function paramEntries(params: Record<string, unknown> | null | undefined): [string, string][] {
  if (!params) return [];
  return Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
}

// --- actions -------------------------------------------------------------------

export type JobButton = JobAction | 'remove';

export type JobActions = Record<JobButton, boolean>;

/** Which buttons a job offers in its state. The enabled switch and the schedule can
 * always change (see `isEditable`); a queued or running job cannot be removed. A
 * one-off transfer (`oneoff`) can only be canceled while active and removed once it
 * ended: its client drives it, so nothing here runs it again. */
export function jobActions(job: Job): JobActions {
  const s = job.state;
  if (job.oneoff) {
    return {
      run: false,
      pause: false,
      resume: false,
      cancel: s === 'queued' || s === 'running',
      retry: false,
      remove: s === 'done' || s === 'failed' || s === 'canceled',
    };
  }
  return {
    run: s === 'idle' || s === 'done' || s === 'failed' || s === 'canceled',
    pause: (s === 'queued' || s === 'running') && job.can_pause,
    resume: s === 'paused',
    cancel: s === 'queued' || s === 'running' || s === 'paused',
    retry: s === 'failed' || s === 'canceled',
    remove: s !== 'queued' && s !== 'running',
  };
}

/** Whether the schedule and the enabled switch of a job can change: not a one-off
 * transfer's (the server refuses edits of those). */
export function isEditable(job: Job): boolean {
  return !job.oneoff;
}

/** Whether a job keeps a history of runs to ask for: a one-off transfer keeps none. */
export function hasHistory(job: Job): boolean {
  return !job.oneoff;
}

export const BUTTONS: readonly [JobButton, string][] = [
  ['run', 'Run now'],
  ['pause', 'Pause'],
  ['resume', 'Resume'],
  ['cancel', 'Cancel'],
  ['retry', 'Retry'],
  ['remove', 'Remove'],
];

// --- the schedule form ---------------------------------------------------------

export type ScheduleMode = 'none' | 'every' | 'cron';

export interface ScheduleDraft {
  mode: ScheduleMode;
  every: string;
  cron: string;
  /** An IANA zone; empty for UTC. */
  tz: string;
}

/** The form's fields for a schedule (defaults for the modes it is not in). */
export function draftOf(schedule: Schedule | null | undefined): ScheduleDraft {
  const draft: ScheduleDraft = { mode: 'none', every: '1h', cron: '0 3 * * *', tz: '' };
  if (!schedule) return draft;
  if ('every' in schedule) return { ...draft, mode: 'every', every: schedule.every };
  return { ...draft, mode: 'cron', cron: schedule.cron, tz: schedule.tz ?? '' };
}

/** The field names of the API's 400 messages (`schedule.cron: ...`). */
export type ScheduleField = 'schedule.every' | 'schedule.cron' | 'schedule.tz';

export type ScheduleEdit = { change: JobChange } | { field: ScheduleField; problem: string };

/** The PUT body for a draft, or what is missing. The server checks the rest (and names
 * the field in its 400 message). */
export function scheduleEdit(draft: ScheduleDraft): ScheduleEdit {
  switch (draft.mode) {
    case 'none':
      return { change: { clear_schedule: true } };
    case 'every': {
      const every = draft.every.trim();
      if (!every) return { field: 'schedule.every', problem: 'Enter an interval, such as 30m, 6h or 1d.' };
      return { change: { schedule: { every } } };
    }
    case 'cron': {
      const cron = draft.cron.trim().replace(/\s+/g, ' ');
      if (!cron) return { field: 'schedule.cron', problem: 'Enter a cron expression, such as 0 3 * * *.' };
      const tz = draft.tz.trim();
      return { change: { schedule: tz ? { cron, tz } : { cron } } };
    }
  }
}

/** The field an API message starts with (`schedule.cron: ...` → `schedule.cron`,
 * `params.replicas[0].url: ...` → `params.replicas[0].url`), or null. */
export function errorField(message: string): string | null {
  const m = /^([A-Za-z_]\w*(?:\[\d+\])*(?:\.\w+(?:\[\d+\])*)*):\s/.exec(message);
  return m ? m[1] : null;
}

// --- history -------------------------------------------------------------------

/** Seconds a run took (so far, while it runs); null when it cannot be told. */
export function runDuration(run: RunRecord, now: number): number | null {
  const start = Date.parse(run.started);
  if (Number.isNaN(start)) return null;
  const end = run.ended ? Date.parse(run.ended) : run.result === 'running' ? now : Number.NaN;
  if (Number.isNaN(end)) return null;
  return Math.max(0, (end - start) / 1000);
}

/** "350 ms", "12 s", "3 min 5 s", "2 h 10 min"; "—" when unknown. */
export function formatDuration(secs: number | null | undefined): string {
  if (secs === null || secs === undefined || !Number.isFinite(secs) || secs < 0) return '—';
  if (secs < 1) return `${Math.round(secs * 1000)} ms`;
  return formatEta(Math.round(secs));
}

/** The runs for the table: the newest `max` of them, newest first. */
export function newestFirst(runs: readonly RunRecord[], max = Infinity): RunRecord[] {
  return runs.slice(Math.max(0, runs.length - max)).reverse();
}

// --- the history chart ---------------------------------------------------------

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Seconds or bytes. */
  value: number;
  /** For the bar's tooltip (`<title>`). */
  label: string;
}

export interface RunChart {
  width: number;
  height: number;
  /** The runs drawn (the last `max` of them), oldest first. */
  runs: number;
  durations: ChartBar[];
  bytes: ChartBar[];
  maxDuration: number;
  maxBytes: number;
  /** One sentence for screen readers. */
  summary: string;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  /** The most runs drawn (the latest ones). */
  max?: number;
  now?: number;
  /** The green series: a run's bytes (default: `run.bytes`, what it moved; a backup
   * draws the bytes it added). */
  bytesOf?: (run: RunRecord) => number;
}

/** Two bars per run, oldest left: its duration and its bytes, each series scaled to its
 * own largest value (so both show whatever their units). A value above zero is at least
 * one unit tall. */
export function runChart(history: readonly RunRecord[], options: ChartOptions = {}): RunChart {
  const { width = 480, height = 120, max = 30, now = Date.now(), bytesOf = (r: RunRecord) => r.bytes } = options;
  const runs = history.slice(-max);
  const durations = runs.map((r) => runDuration(r, now) ?? 0);
  const bytes = runs.map((r) => Math.max(0, bytesOf(r) || 0));
  const maxDuration = Math.max(0, ...durations);
  const maxBytes = Math.max(0, ...bytes);
  const top = 4;
  const plot = height - top;
  const slot = runs.length ? width / runs.length : width;
  const gap = Math.min(4, slot * 0.2);
  const barWidth = Math.max(1, (slot - gap) / 2);

  const bar = (value: number, maxValue: number, x: number, label: string): ChartBar => {
    const h = maxValue > 0 && value > 0 ? Math.max(1, (value / maxValue) * plot) : 0;
    return { x, y: height - h, width: barWidth, height: h, value, label };
  };

  const durationBars: ChartBar[] = [];
  const byteBars: ChartBar[] = [];
  runs.forEach((run, i) => {
    const x = i * slot + gap / 2;
    const when = formatDate(run.started);
    const result = RESULT_LABELS[run.result] ?? run.result;
    durationBars.push(bar(durations[i], maxDuration, x, `${when}: ${formatDuration(durations[i])} (${result})`));
    byteBars.push(bar(bytes[i], maxBytes, x + barWidth, `${when}: ${formatBytes(bytes[i])} (${result})`));
  });

  const summary = runs.length
    ? `Last ${runs.length} run${runs.length === 1 ? '' : 's'}: longest ${formatDuration(maxDuration)}, largest ${formatBytes(maxBytes)}.`
    : 'No runs yet.';
  return { width, height, runs: runs.length, durations: durationBars, bytes: byteBars, maxDuration, maxBytes, summary };
}
