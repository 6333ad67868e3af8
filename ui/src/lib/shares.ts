// Share links: the expiry the Share dialog offers (the shortest that fits by default,
// 1 hour; presets up to 7 days, S3's maximum; a custom duration checked before anything
// is sent), and the Shares page's order and words. Pure: nothing here calls the API or
// touches the DOM.

import { formatDate, formatEta, relativeTime } from './format';
import type { PresignMethod, Share, ShareVia } from './types';

/** The shortest lifetime S3 accepts. */
export const MIN_EXPIRY_SECS = 1;
/** The longest lifetime S3 allows a presigned URL (SigV4): 7 days. */
export const MAX_EXPIRY_SECS = 7 * 24 * 3600;
/** Offered first: the shortest that fits most shares. */
export const DEFAULT_EXPIRY_SECS = 3600;

/** The presets of the Share dialog: seconds and label. */
export const EXPIRY_PRESETS: readonly (readonly [number, string])[] = [
  [3600, '1 hour'],
  [86400, '1 day'],
  [MAX_EXPIRY_SECS, '7 days'],
];

export type ExpiryUnit = 'seconds' | 'minutes' | 'hours' | 'days';

/** The units of a custom duration: unit, label, seconds in one. */
export const EXPIRY_UNITS: readonly (readonly [ExpiryUnit, string, number])[] = [
  ['seconds', 'seconds', 1],
  ['minutes', 'minutes', 60],
  ['hours', 'hours', 3600],
  ['days', 'days', 86400],
];

/** Said wherever links are made or listed. */
export const REVOCATION_NOTE =
  'A presigned link cannot be revoked before it expires, except by rotating the access key that signed it.';

export type ExpiryCheck = { secs: number; error: null } | { secs: null; error: string };

/** A custom duration (`amount` of `unit`) in whole seconds, or why it cannot be a
 * link's lifetime: below 1 second, or past 7 days. */
export function customExpiry(amount: number | string | null | undefined, unit: ExpiryUnit): ExpiryCheck {
  const factor = EXPIRY_UNITS.find(([u]) => u === unit)?.[2] ?? 1;
  const n = typeof amount === 'string' ? (amount.trim() === '' ? Number.NaN : Number(amount)) : (amount ?? Number.NaN);
  if (!Number.isFinite(n)) return { secs: null, error: 'Enter how long the link should last.' };
  const raw = n * factor;
  if (raw < MIN_EXPIRY_SECS) return { secs: null, error: 'A link must last at least 1 second.' };
  const secs = Math.round(raw);
  if (secs > MAX_EXPIRY_SECS) {
    return { secs: null, error: 'A link can last at most 7 days (604,800 seconds), the most S3 allows.' };
  }
  return { secs, error: null };
}

/** A lifetime in words: a preset's label, else "1 h 30 min". */
export function expiryLabel(secs: number): string {
  return EXPIRY_PRESETS.find(([s]) => s === secs)?.[1] ?? formatEta(secs);
}

// --- the Shares page ------------------------------------------------------------------

/** Whether a link no longer works at `now` (the server's flag, or its time passed while
 * the page was open). */
export function isExpired(share: Pick<Share, 'expired' | 'expires_at'>, now: number): boolean {
  if (share.expired) return true;
  const t = Date.parse(share.expires_at);
  return !Number.isNaN(t) && t <= now;
}

function time(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** Live links first, newest first; then expired ones, the most recently expired first. */
export function orderShares(shares: readonly Share[], now: number): Share[] {
  return [...shares].sort((a, b) => {
    const ea = isExpired(a, now);
    const eb = isExpired(b, now);
    if (ea !== eb) return ea ? 1 : -1;
    const diff = ea ? time(b.expires_at) - time(a.expires_at) : time(b.created_at) - time(a.created_at);
    return diff || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  });
}

/** Who made a link, in words. */
export function viaLabel(via: ShareVia): string {
  switch (via) {
    case 'cli':
      return 'command line';
    case 'desktop':
      return 'desktop app';
    case 'web':
      return 'web UI';
    case 'api':
      return 'API';
    default:
      return via || '—';
  }
}

/** "GET (download)", "PUT (upload)". */
export function methodLabel(method: PresignMethod | string): string {
  return method === 'PUT' ? 'PUT (upload)' : method === 'GET' ? 'GET (download)' : method;
}

export interface ShareTime {
  /** "in 59 min", "3 h ago"; "" for a bad date. */
  relative: string;
  /** "2024-05-01 14:03" (local time); "—" for a bad date. */
  absolute: string;
}

/** A time of a link, relative to `now` and absolute. */
export function shareTime(iso: string, now: number): ShareTime {
  return { relative: relativeTime(iso, now), absolute: formatDate(iso) };
}

/** "bucket/key". */
export function shareObject(share: Pick<Share, 'bucket' | 'key'>): string {
  return `${share.bucket}/${share.key}`;
}
