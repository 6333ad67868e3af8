// Browser uploads: each file is `PUT .../object?key=K` with the raw body (and
// `&no_rules=true` to skip the bucket's upload header rules), over
// XMLHttpRequest for upload progress (fetch has none). The server runs each as a
// one-off job whose id is the local row's (`x-coffer-job-id`): other tabs see it as a
// job, and this tab knows those job events are its own row's.

import { authHeaders, apiUrl, errorFromText } from './transport-http';
import { toApiError } from './errors';
import { requireToken } from './auth';
import { bucketPath, uploadKey } from './paths';
import { isJobId, type LocalTask, type TaskContext } from './local-runner';
import { JOB_ID_HEADER } from './transport';

/** A file to upload and its path relative to what was dropped or picked. */
export interface PickedFile {
  file: File;
  /** `name`, or `folder/sub/name` for a file inside a dropped or picked folder. */
  relativePath: string;
}

/** The header that names the server's one-off job of an upload (the row's id). */
export { JOB_ID_HEADER };

export interface UploadTarget {
  profile: string;
  bucket: string;
  prefix: string;
}

export interface UploadOptions {
  /** Skip the bucket's upload header rules for these files. */
  noRules?: boolean;
}

/** The query of one file's upload: its key, and `no_rules=true` when asked. */
export function uploadQuery(key: string, options: UploadOptions = {}): Record<string, string> {
  return options.noRules ? { key, no_rules: 'true' } : { key };
}

function put(url: string, file: File, ctx: TaskContext): Promise<void> {
  return new Promise((resolve, reject) => {
    let headers: Record<string, string>;
    try {
      headers = authHeaders();
    } catch (e) {
      reject(e);
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (isJobId(ctx.id)) xhr.setRequestHeader(JOB_ID_HEADER, ctx.id);
    xhr.upload.onprogress = (e) => ctx.progress(e.loaded, e.lengthComputable ? e.total : undefined);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        ctx.progress(file.size, file.size);
        resolve();
        return;
      }
      if (xhr.status === 401) requireToken();
      reject(errorFromText(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(toApiError(new TypeError('the upload connection failed')));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    ctx.signal.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/** One task per file, keyed `prefix + relativePath`. */
export function uploadTasks(
  target: UploadTarget,
  files: PickedFile[],
  onDone: (key: string) => void,
  options: UploadOptions = {},
): LocalTask[] {
  return files.map(({ file, relativePath }) => {
    const key = uploadKey(target.prefix, relativePath);
    const url = apiUrl(bucketPath(target.profile, target.bucket, '/object'), uploadQuery(key, options));
    return {
      name: key,
      direction: 'upload' as const,
      profile: target.profile,
      bucket: target.bucket,
      key,
      bytesTotal: file.size,
      run: (ctx: TaskContext) => put(url, file, ctx),
      onDone: () => onDone(key),
    };
  });
}

/** The keys the files would be uploaded to. */
export function uploadKeys(target: UploadTarget, files: PickedFile[]): string[] {
  return files.map((f) => uploadKey(target.prefix, f.relativePath));
}

/** Files from an `<input type=file>` (with `webkitdirectory`, each has a relative path). */
export function pickedFiles(list: FileList | null): PickedFile[] {
  if (!list) return [];
  return Array.from(list, (file) => ({
    file,
    relativePath: file.webkitRelativePath || file.name,
  }));
}
