// Keys and prefixes. A key means exactly itself: no normalization, ever — `a//b`,
// a leading `/`, `%`, `+`, spaces and unicode are all kept as they are. A "folder" is
// a prefix ending in `/`.

export const SEP = '/';

/** Whether a key or prefix names a folder. */
export function isFolder(keyOrPrefix: string): boolean {
  return keyOrPrefix.endsWith(SEP);
}

/** `prefix + name`, nothing more (keys are not paths to normalize). */
export function join(prefix: string, name: string): string {
  return prefix + name;
}

/** The folder prefix for a folder named `name` under `prefix`. */
export function folderKey(prefix: string, name: string): string {
  return prefix + name + SEP;
}

/** The prefix holding a key or folder prefix: `a/b/c` → `a/b/`, `a/b/` → `a/`, `a` → ``. */
export function parent(keyOrPrefix: string): string {
  const body = isFolder(keyOrPrefix) ? keyOrPrefix.slice(0, -1) : keyOrPrefix;
  const cut = body.lastIndexOf(SEP);
  return cut < 0 ? '' : body.slice(0, cut + 1);
}

/** The last segment of a key or folder prefix, without the trailing `/`. */
export function baseName(keyOrPrefix: string): string {
  const body = isFolder(keyOrPrefix) ? keyOrPrefix.slice(0, -1) : keyOrPrefix;
  return body.slice(body.lastIndexOf(SEP) + 1);
}

/** A name as shown: an empty segment (from `//` or a leading `/`) is shown as such. */
export function displayName(name: string): string {
  return name === '' ? '(empty name)' : name;
}

export interface Crumb {
  /** What to show. */
  label: string;
  /** The prefix it opens (`` for the bucket root). */
  prefix: string;
}

/** The path from the bucket root to `prefix`: `a//b/` → ``, `a/`, `a//`, `a//b/`. */
export function breadcrumbs(bucket: string, prefix: string): Crumb[] {
  const crumbs: Crumb[] = [{ label: bucket, prefix: '' }];
  if (prefix === '') return crumbs;
  const body = isFolder(prefix) ? prefix.slice(0, -1) : prefix;
  let acc = '';
  for (const segment of body.split(SEP)) {
    acc += segment + SEP;
    crumbs.push({ label: displayName(segment), prefix: acc });
  }
  return crumbs;
}

/** A new name is valid for a single segment: not empty, no `/`. */
export function validName(name: string): string | null {
  if (name.trim() === '') return 'Enter a name.';
  if (name.includes(SEP)) return 'A name cannot contain “/”.';
  if (new TextEncoder().encode(name).length > 1024) return 'The name is too long.';
  return null;
}

/** The key of an uploaded file: `prefix` plus its path relative to the drop. */
export function uploadKey(prefix: string, relativePath: string): string {
  return prefix + relativePath.split(/[\\/]/).filter((s) => s !== '').join(SEP);
}

/** The last segment of a local path (POSIX or Windows), ignoring a trailing separator. */
export function localBaseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return trimmed.slice(cut + 1);
}

/** `/api/v1/profiles/{p}/buckets/{b}` + rest, with the names encoded as path segments. */
export function bucketPath(profile: string, bucket: string, rest = ''): string {
  return `/api/v1/profiles/${encodeURIComponent(profile)}/buckets/${encodeURIComponent(bucket)}${rest}`;
}

/** `/api/v1/profiles/{p}` + rest. */
export function profilePath(profile: string, rest = ''): string {
  return `/api/v1/profiles/${encodeURIComponent(profile)}${rest}`;
}

/** A query string (`?a=1&b=2`, or `` when empty), every value percent-encoded. */
export function queryString(query?: Record<string, string>): string {
  if (!query) return '';
  const parts = Object.entries(query).map(
    ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
  );
  return parts.length ? `?${parts.join('&')}` : '';
}
