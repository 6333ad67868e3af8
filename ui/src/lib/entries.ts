// Rows of the object list: folders (common prefixes) and objects of one prefix, as
// the listing gives them (no extra request per object); sorting and filtering.

import type { ListPage } from './types';
import { baseName } from './paths';

export interface Entry {
  /** The full key, or the folder prefix ending in `/`. Unique in a listing. */
  key: string;
  /** The name relative to the listed prefix (no trailing `/`). */
  name: string;
  folder: boolean;
  size: number | null;
  modified: string | null;
  /** `modified` in ms since the epoch (0 when unknown), for sorting. */
  modifiedMs: number;
  etag: string | null;
  storageClass: string | null;
  /** Lowercased name, for sorting and filtering. */
  lower: string;
}

export type SortField = 'name' | 'size' | 'modified';
export interface SortOrder {
  field: SortField;
  descending: boolean;
}

function relativeName(key: string, prefix: string): string {
  const rest = key.startsWith(prefix) ? key.slice(prefix.length) : baseName(key);
  return rest.endsWith('/') ? rest.slice(0, -1) : rest;
}

/** The entries of one listing page under `prefix`. The folder marker object (key equal
 * to the prefix) is not an entry. */
export function entriesOfPage(page: ListPage, prefix: string): Entry[] {
  const out: Entry[] = [];
  for (const p of page.common_prefixes) {
    const name = relativeName(p, prefix);
    out.push({
      key: p,
      name,
      folder: true,
      size: null,
      modified: null,
      modifiedMs: 0,
      etag: null,
      storageClass: null,
      lower: name.toLowerCase(),
    });
  }
  for (const o of page.objects) {
    if (o.key === prefix) continue;
    const name = relativeName(o.key, prefix);
    const ms = o.last_modified ? Date.parse(o.last_modified) : 0;
    out.push({
      key: o.key,
      name,
      folder: false,
      size: o.size,
      modified: o.last_modified,
      modifiedMs: Number.isNaN(ms) ? 0 : ms,
      etag: o.etag,
      storageClass: o.storage_class,
      lower: name.toLowerCase(),
    });
  }
  return out;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBy(field: SortField): (a: Entry, b: Entry) => number {
  const byName = (a: Entry, b: Entry) => compareText(a.lower, b.lower) || compareText(a.key, b.key);
  switch (field) {
    case 'name':
      return byName;
    case 'size':
      return (a, b) => (a.size ?? -1) - (b.size ?? -1) || byName(a, b);
    case 'modified':
      return (a, b) => a.modifiedMs - b.modifiedMs || byName(a, b);
  }
}

/** Folders first (like a file manager), then by the field; a new array. */
export function sortEntries(entries: readonly Entry[], order: SortOrder): Entry[] {
  const base = compareBy(order.field);
  const sign = order.descending ? -1 : 1;
  return entries.slice().sort((a, b) => {
    if (a.folder !== b.folder) return a.folder ? -1 : 1;
    return sign * base(a, b);
  });
}

/** Entries whose name contains `filter` (case-insensitive); all of them for "". */
export function filterEntries(entries: readonly Entry[], filter: string): readonly Entry[] {
  const needle = filter.trim().toLowerCase();
  if (needle === '') return entries;
  return entries.filter((e) => e.lower.includes(needle));
}

/** The next sort order when a column header is clicked. */
export function toggleSort(current: SortOrder, field: SortField): SortOrder {
  if (current.field === field) return { field, descending: !current.descending };
  return { field, descending: field !== 'name' };
}

function sameEntry(a: Entry, b: Entry): boolean {
  return (
    a.key === b.key &&
    a.name === b.name &&
    a.folder === b.folder &&
    a.size === b.size &&
    a.modified === b.modified &&
    a.etag === b.etag &&
    a.storageClass === b.storageClass
  );
}

export interface Merge {
  /** The fresh listing's entries, in its order, reusing the current entry object of
   * every row that did not change (so the list redraws only what changed). */
  entries: Entry[];
  added: number;
  updated: number;
  removed: number;
  /** Anything differs, order included: when false, keep the current array. */
  changed: boolean;
}

/** Merges a fresh listing of the same folder into the current entries, by key: rows
 * that changed are replaced in place, new ones come in the fresh order, removed ones
 * go. The selection (by key) and the scroll position stay with the view. */
export function mergeEntries(current: readonly Entry[], fresh: readonly Entry[]): Merge {
  const byKey = new Map<string, Entry>();
  for (const e of current) byKey.set(e.key, e);
  let added = 0;
  let updated = 0;
  let kept = 0;
  let moved = current.length !== fresh.length;
  const entries = fresh.map((e, i) => {
    const old = byKey.get(e.key);
    if (!old) {
      added += 1;
      return e;
    }
    kept += 1;
    if (!moved && current[i] !== old) moved = true;
    if (sameEntry(old, e)) return old;
    updated += 1;
    return e;
  });
  const removed = current.length - kept;
  return { entries, added, updated, removed, changed: moved || added + updated + removed > 0 };
}
