// Files of an HTML5 drop, folders walked with `webkitGetAsEntry`, relative paths kept.

import type { PickedFile } from './browser-upload';

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

/** Every entry of a folder: readEntries gives them in batches until an empty one. */
async function children(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await readBatch(reader);
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, path: string, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    out.push({ file: await fileOf(entry as FileSystemFileEntry), relativePath: path });
  } else if (entry.isDirectory) {
    for (const child of await children(entry as FileSystemDirectoryEntry)) {
      await walk(child, `${path}/${child.name}`, out);
    }
  }
}

/** Whether a drag carries files (not text or a link). */
export function carriesFiles(dt: DataTransfer | null): boolean {
  return !!dt && Array.from(dt.types).includes('Files');
}

/** The files of a drop. Entries are taken synchronously: the DataTransfer empties
 * once the event handler returns. */
export async function droppedFiles(dt: DataTransfer): Promise<PickedFile[]> {
  const allFiles = Array.from(dt.files ?? []);
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  if (entries.length === 0 && loose.length === 0) {
    loose.push(...allFiles);
  }
  const out: PickedFile[] = loose.map((file) => ({ file, relativePath: file.name }));
  for (const entry of entries) {
    try {
      await walk(entry, entry.name, out);
    } catch {
      // An entry the browser cannot read (e.g. a synthetic drop): fall back to files.
      const file = allFiles.find((f) => f.name === entry.name);
      if (file) out.push({ file, relativePath: file.name });
    }
  }
  return out;
}
