// What a preview shows for an object, and turning its first bytes into that.

export type PreviewKind = 'image' | 'json' | 'csv' | 'text' | 'none';

/** Previews read at most this much of an object. */
export const PREVIEW_BYTES = 1024 * 1024;
/** Images are shown whole, up to this size. */
export const IMAGE_MAX = 20 * 1024 * 1024;

const IMAGE: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
};

const TEXT = new Set([
  'txt', 'md', 'markdown', 'log', 'ini', 'cfg', 'conf', 'toml', 'yaml', 'yml', 'xml', 'html',
  'htm', 'css', 'js', 'mjs', 'ts', 'rs', 'py', 'go', 'java', 'c', 'h', 'cpp', 'hpp', 'sh',
  'sql', 'tsv', 'env', 'gitignore', 'svelte', 'vue', 'rb', 'php', 'pl', 'lua', 'kt', 'swift',
]);

function extension(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** The preview kind from the key's extension (no HEAD needed). */
export function previewKind(key: string): PreviewKind {
  const ext = extension(key);
  if (ext in IMAGE) return 'image';
  if (ext === 'json' || ext === 'geojson' || ext === 'ndjson' || ext === 'jsonl') return 'json';
  if (ext === 'csv') return 'csv';
  if (TEXT.has(ext)) return 'text';
  return 'none';
}

export function imageType(key: string): string {
  return IMAGE[extension(key)] ?? 'application/octet-stream';
}

/** Text of the bytes; a multi-byte character cut at the end is dropped. */
export function decodeText(bytes: ArrayBuffer, truncated: boolean): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return truncated ? text.replace(/\uFFFD+$/, '') : text;
}

/** Pretty JSON, or null when it does not parse (e.g. cut off). JSON lines are
 * pretty-printed line by line. */
export function prettyJson(text: string): string | null {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) return null;
    try {
      return lines.map((l) => JSON.stringify(JSON.parse(l), null, 2)).join('\n');
    } catch {
      return null;
    }
  }
}

/** RFC 4180 CSV: quoted fields, "" escapes, newlines in quotes. At most `maxRows`. */
export function parseCsv(text: string, maxRows = 500, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (rows.length >= maxRows) return rows;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
