// Browser downloads: into a folder chosen with showDirectoryPicker() when the browser
// has it (streamed to disk), else each object as a blob saved with `<a download>`.

import { authHeaders, apiUrl, errorOf } from './transport-http';
import { toApiError } from './errors';
import { baseName, bucketPath } from './paths';
import { versionPath, versionQuery } from './versions';
import type { CofferApi } from './api';
import type { LocalTask, TaskContext } from './local-runner';

export interface DownloadItem {
  /** An object key, or a folder prefix ending in `/`. */
  key: string;
  folder: boolean;
  /** One older version of an object (`GET …/object/version`); objects only. */
  versionId?: string;
  /** Its size when known (a version's: the listing's size is the current object's). */
  size?: number;
}

interface WritableFile {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
interface FileHandle {
  createWritable(): Promise<WritableFile>;
}
interface DirHandle {
  getDirectoryHandle(name: string, options: { create: boolean }): Promise<DirHandle>;
  getFileHandle(name: string, options: { create: boolean }): Promise<FileHandle>;
}
type DirectoryPicker = (options?: { mode?: 'read' | 'readwrite' }) => Promise<DirHandle>;

function picker(): DirectoryPicker | null {
  const w = window as unknown as { showDirectoryPicker?: DirectoryPicker };
  return typeof w.showDirectoryPicker === 'function' ? w.showDirectoryPicker.bind(window) : null;
}

/** Local path segments for a relative key: no empty, `.` or `..` segments. */
export function localSegments(relative: string): string[] {
  return relative
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s === '.' || s === '..' ? '_' : s));
}

/** The URL of an object's bytes, or of one of its versions' with `versionId`. */
export function objectUrl(profile: string, bucket: string, key: string, versionId?: string): string {
  return versionId === undefined
    ? apiUrl(bucketPath(profile, bucket, '/object'), { key })
    : apiUrl(versionPath(profile, bucket), versionQuery(key, versionId));
}

async function open(profile: string, bucket: string, key: string, signal: AbortSignal, versionId?: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(objectUrl(profile, bucket, key, versionId), {
      headers: authHeaders(),
      signal,
    });
  } catch (e) {
    throw toApiError(e);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function pump(response: Response, ctx: TaskContext, sink: (chunk: Uint8Array) => Promise<void> | void): Promise<void> {
  const total = Number(response.headers.get('content-length')) || undefined;
  let done = 0;
  if (!response.body) {
    const all = new Uint8Array(await response.arrayBuffer());
    await sink(all);
    ctx.progress(all.length, all.length);
    return;
  }
  const reader = response.body.getReader();
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    await sink(value);
    done += value.length;
    ctx.progress(done, total);
  }
}

async function toFolder(dir: DirHandle, segments: string[], response: Response, ctx: TaskContext): Promise<void> {
  let folder = dir;
  for (const s of segments.slice(0, -1)) folder = await folder.getDirectoryHandle(s, { create: true });
  const file = await folder.getFileHandle(segments[segments.length - 1], { create: true });
  const writable = await file.createWritable();
  try {
    await pump(response, ctx, (chunk) => writable.write(chunk));
    await writable.close();
  } catch (e) {
    await writable.abort().catch(() => undefined);
    throw e;
  }
}

async function asBlob(name: string, response: Response, ctx: TaskContext): Promise<void> {
  const chunks: Uint8Array[] = [];
  await pump(response, ctx, (chunk) => {
    chunks.push(chunk);
  });
  const type = response.headers.get('content-type') ?? 'application/octet-stream';
  const url = URL.createObjectURL(new Blob(chunks as BlobPart[], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Every object under a folder prefix, with its path relative to the folder's parent. */
async function expand(api: CofferApi, profile: string, bucket: string, item: DownloadItem) {
  if (!item.folder) return [{ key: item.key, relative: baseName(item.key), size: item.size ?? 0, versionId: item.versionId }];
  const base = baseName(item.key);
  const out: { key: string; relative: string; size: number; versionId?: string }[] = [];
  let continuation: string | null = null;
  do {
    const page = await api.listObjects(profile, bucket, item.key, { continuation, recursive: true });
    for (const o of page.objects) {
      if (o.key.endsWith('/')) continue; // folder markers
      out.push({ key: o.key, relative: `${base}/${o.key.slice(item.key.length)}`, size: o.size });
    }
    continuation = page.next_token;
  } while (continuation);
  return out;
}

/**
 * Asks where to save (must be called from a click: the picker needs the user's
 * gesture), then returns one task per object; [] when the user dismissed the picker.
 */
export async function browserDownloadTasks(
  api: CofferApi,
  profile: string,
  bucket: string,
  items: DownloadItem[],
  sizes: ReadonlyMap<string, number>,
): Promise<LocalTask[]> {
  const choose = picker();
  let dir: DirHandle | null = null;
  if (choose) {
    try {
      dir = await choose({ mode: 'readwrite' });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return [];
      throw toApiError(e);
    }
  }
  const files = (await Promise.all(items.map((item) => expand(api, profile, bucket, item)))).flat();
  return files.map(({ key, relative, size, versionId }) => {
    const segments = localSegments(relative);
    return {
      name: key,
      direction: 'download' as const,
      profile,
      bucket,
      key,
      bytesTotal: size || (versionId === undefined ? sizes.get(key) : 0) || 0,
      run: async (ctx: TaskContext) => {
        const response = await open(profile, bucket, key, ctx.signal, versionId);
        if (dir) await toFolder(dir, segments.length ? segments : ['download'], response, ctx);
        else await asBlob(segments.join('_') || 'download', response, ctx);
      },
    };
  });
}
