// Back/forward navigation over locations, like a file manager. Pure.

export interface Location {
  profile: string;
  /** null: the profile's bucket list. */
  bucket: string | null;
  prefix: string;
}

export interface History {
  entries: readonly Location[];
  index: number;
}

export const emptyHistory: History = { entries: [], index: -1 };

export function sameLocation(a: Location | undefined, b: Location | undefined): boolean {
  return !!a && !!b && a.profile === b.profile && a.bucket === b.bucket && a.prefix === b.prefix;
}

export function current(h: History): Location | undefined {
  return h.entries[h.index];
}

/** Goes to `loc`, dropping the forward entries (unless it is where we are). */
export function push(h: History, loc: Location, limit = 200): History {
  if (sameLocation(current(h), loc)) return h;
  const entries = [...h.entries.slice(0, h.index + 1), loc];
  const overflow = Math.max(0, entries.length - limit);
  return { entries: entries.slice(overflow), index: entries.length - 1 - overflow };
}

export function canBack(h: History): boolean {
  return h.index > 0;
}

export function canForward(h: History): boolean {
  return h.index >= 0 && h.index < h.entries.length - 1;
}

export function back(h: History): History {
  return canBack(h) ? { ...h, index: h.index - 1 } : h;
}

export function forward(h: History): History {
  return canForward(h) ? { ...h, index: h.index + 1 } : h;
}
