// The local index of a bucket, the pure part: search queries as the API's query
// parameters, the search box's filters, the search stream's lines, and the words the
// UI uses ("as of 2 min ago", a state, a size). The routes are in api.ts; the
// session's knowledge of each bucket's index is in bucket-index.svelte.ts.

import { ApiError, toApiError } from './errors';
import { formatCount, relativeTime } from './format';
import type { IndexInfo, ObjectSummary, SearchQuery, SearchSummary } from './types';

/** Seconds in a day (the filters take days). */
export const DAY_SECS = 86_400;

/** The matches one search asks for (the server's default; its maximum is 100,000). */
export const SEARCH_LIMIT = 1000;

export type SizeUnit = 'B' | 'KiB' | 'MiB' | 'GiB' | 'TiB';
export const SIZE_UNITS: readonly SizeUnit[] = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
const UNIT_BYTES: Record<SizeUnit, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** The storage classes offered by the filter (any other still matches by name). */
export const STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
  'REDUCED_REDUNDANCY',
] as const;

/** The id of a bucket of a profile, for maps. */
export function bucketId(profile: string, bucket: string): string {
  return `${profile}\n${bucket}`;
}

/** Whether a pattern is a glob on the whole key (any of `* ? [ {`), not a substring. */
export function isGlob(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/** A number typed in a field (number inputs bind numbers, or null/"" when empty):
 * a finite number ≥ 0, else null. */
function amount(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** `value unit` in bytes (rounded), or null when the field is empty or not a size. */
export function toBytes(value: number | string | null | undefined, unit: SizeUnit): number | null {
  const n = amount(value);
  return n === null ? null : Math.round(n * UNIT_BYTES[unit]);
}

/** Days in seconds (rounded), or null when the field is empty or not a number. */
export function daysToSecs(days: number | string | null | undefined): number | null {
  const n = amount(days);
  return n === null ? null : Math.round(n * DAY_SECS);
}

/** The filters of the search box, as typed. */
export interface SearchFilters {
  larger: number | string | null;
  largerUnit: SizeUnit;
  smaller: number | string | null;
  smallerUnit: SizeUnit;
  /** Modified within this many days. */
  withinDays: number | string | null;
  /** Modified more than this many days ago. */
  beforeDays: number | string | null;
  /** `""`: any class. */
  storageClass: string;
}

export const noFilters: SearchFilters = {
  larger: null,
  largerUnit: 'MiB',
  smaller: null,
  smallerUnit: 'MiB',
  withinDays: null,
  beforeDays: null,
  storageClass: '',
};

/** The part of a query the filters make. */
export function filtersQuery(f: SearchFilters): Pick<SearchQuery, 'larger' | 'smaller' | 'newer' | 'older' | 'storageClass'> {
  return {
    larger: toBytes(f.larger, f.largerUnit),
    smaller: toBytes(f.smaller, f.smallerUnit),
    newer: daysToSecs(f.withinDays),
    older: daysToSecs(f.beforeDays),
    storageClass: f.storageClass.trim() || null,
  };
}

/** The filters in words ("larger than 1 MiB", "modified within 7 days"…), for the
 * results' summary and the Filters button; empty when none is set. */
export function describeFilters(f: SearchFilters): string[] {
  const out: string[] = [];
  const larger = amount(f.larger);
  const smaller = amount(f.smaller);
  const within = amount(f.withinDays);
  const before = amount(f.beforeDays);
  if (larger !== null) out.push(`larger than ${larger} ${f.largerUnit}`);
  if (smaller !== null) out.push(`smaller than ${smaller} ${f.smallerUnit}`);
  if (within !== null) out.push(`modified within ${within === 1 ? '1 day' : `${within} days`}`);
  if (before !== null) out.push(`modified more than ${before === 1 ? '1 day' : `${before} days`} ago`);
  if (f.storageClass.trim()) out.push(`storage class ${f.storageClass.trim()}`);
  return out;
}

/** The query parameters of `GET …/index/search`: `q` always (`""` = everything), the
 * rest only when set; sizes in bytes and ages in seconds, as whole numbers. */
export function searchParams(query: SearchQuery): Record<string, string> {
  const params: Record<string, string> = { q: query.q };
  if (query.prefix) params.prefix = query.prefix;
  const whole = (name: string, v: number | null | undefined) => {
    if (v !== null && v !== undefined && Number.isFinite(v) && v >= 0) params[name] = String(Math.round(v));
  };
  whole('larger', query.larger);
  whole('smaller', query.smaller);
  whole('newer', query.newer);
  whole('older', query.older);
  if (query.storageClass) params.class = query.storageClass;
  if (query.limit && query.limit > 0) whole('limit', query.limit);
  return params;
}

/** One line of the search stream. */
export type SearchLine = { kind: 'match'; match: ObjectSummary } | { kind: 'done'; summary: SearchSummary };

/** Parses one line of the search stream; rejects an error line (`{code, message}`) or
 * a line that is neither a match nor the summary. */
export function parseSearchLine(line: string): SearchLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ApiError('bad_answer', `The search answered a line that is not JSON: ${line.slice(0, 80)}`);
  }
  if (typeof value !== 'object' || value === null) {
    throw new ApiError('bad_answer', `The search answered an unexpected line: ${line.slice(0, 80)}`);
  }
  const v = value as Record<string, unknown>;
  if (v.done === true) {
    return {
      kind: 'done',
      summary: {
        done: true,
        matches: Number(v.matches ?? 0),
        scanned: Number(v.scanned ?? 0),
        truncated: v.truncated === true,
        as_of: typeof v.as_of === 'string' ? v.as_of : null,
        elapsed_ms: Number(v.elapsed_ms ?? 0),
      },
    };
  }
  if (typeof v.key === 'string') {
    return {
      kind: 'match',
      match: {
        key: v.key,
        size: typeof v.size === 'number' ? v.size : 0,
        last_modified: typeof v.last_modified === 'string' ? v.last_modified : null,
        etag: typeof v.etag === 'string' ? v.etag : null,
        storage_class: typeof v.storage_class === 'string' ? v.storage_class : null,
      },
    };
  }
  if (typeof v.code === 'string' && typeof v.message === 'string') throw new ApiError(v.code, v.message);
  throw new ApiError('bad_answer', `The search answered an unexpected line: ${line.slice(0, 80)}`);
}

/** "as of just now", "as of 2 min ago", "as of 3 h ago"; "" without a date. A date
 * in the future (another clock) reads as just now. */
export function indexAge(asOf: string | null | undefined, now: number): string {
  if (!asOf) return '';
  const t = Date.parse(asOf);
  if (Number.isNaN(t)) return '';
  const words = relativeTime(new Date(Math.min(t, now)).toISOString(), now);
  return words ? `as of ${words}` : '';
}

/** The later of two RFC 3339 dates (either may be missing). */
export function laterDate(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(tb)) return a;
  if (Number.isNaN(ta)) return b;
  return tb > ta ? b : a;
}

/** An index's state in words: "Ready", "Indexing… 12,000 objects", "Too big (over
 * 200,000 objects)", "Failed: …". */
export function indexStateLabel(info: Pick<IndexInfo, 'state' | 'objects' | 'progress' | 'error'>, limit?: number): string {
  switch (info.state) {
    case 'ready':
      return 'Ready';
    case 'building':
      return `Indexing… ${formatCount(info.progress ?? info.objects)} objects listed`;
    case 'too_big':
      return limit ? `Not indexed: more than ${formatCount(limit)} objects` : 'Not indexed: too many objects';
    case 'failed':
      return info.error ? `Failed: ${info.error}` : 'Failed';
  }
}

/** Whether the index can be read (listed, searched, sized) now: ready, or listing the
 * bucket again after a complete build (its data is that build's until it ends). */
export function isUsable(info: Pick<IndexInfo, 'state' | 'as_of'> | null | undefined): boolean {
  return !!info && (info.state === 'ready' || (info.state === 'building' && !!info.as_of));
}

/** Whether an error says the bucket has no (ready) index: 404 `not_found`. */
export function isNoIndex(e: unknown): boolean {
  const err = toApiError(e);
  return err.code === 'not_found' || err.status === 404;
}

/** Whether an error is a search the user replaced or stopped. */
export function isCancelled(e: unknown): boolean {
  return toApiError(e).code === 'cancelled';
}
