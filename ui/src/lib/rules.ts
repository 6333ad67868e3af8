// Upload header rules: the Settings editor's model (drafts of an ordered list, checked
// before saving), and what the upload dialog shows before an upload into a bucket with
// rules (each file's headers and the rule that set each, files with the same headers
// grouped). Pure: nothing here calls the API or touches the DOM.

import { plural } from './format';
import type { RuleHeaders, RuleInput, RulePreview, UploadRule } from './types';

/** The storage classes offered (blank: the bucket's default). */
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

/** The example to ship: long-lived, immutable caching for fingerprinted assets (the
 * plugin store's bundles use this header). */
export const IMMUTABLE_EXAMPLE: RuleInput = {
  glob: '*.{js,css,woff2}',
  cache_control: 'public, max-age=31536000, immutable',
  metadata: {},
};

// --- the editor ---------------------------------------------------------------------

export interface MetaDraft {
  uid: number;
  name: string;
  value: string;
}

/** A rule being edited: every field a string ("" = not set). */
export interface RuleDraft {
  /** Stable for the list's keys while editing. */
  uid: number;
  /** The server's id, for a saved rule. */
  id?: string;
  glob: string;
  content_type: string;
  cache_control: string;
  content_disposition: string;
  storage_class: string;
  metadata: MetaDraft[];
}

let nextUid = 1;

/** A fresh id for a draft or a metadata row. */
export function draftUid(): number {
  return nextUid++;
}

export function emptyDraft(): RuleDraft {
  return toDraft({ glob: '', metadata: {} });
}

export function toDraft(rule: RuleInput): RuleDraft {
  const draft: RuleDraft = {
    uid: draftUid(),
    glob: rule.glob,
    content_type: rule.content_type ?? '',
    cache_control: rule.cache_control ?? '',
    content_disposition: rule.content_disposition ?? '',
    storage_class: rule.storage_class ?? '',
    metadata: Object.entries(rule.metadata ?? {}).map(([name, value]) => ({ uid: draftUid(), name, value })),
  };
  if (rule.id) draft.id = rule.id;
  return draft;
}

const orNull = (s: string): string | null => (s.trim() === '' ? null : s.trim());

/** A draft as sent: trimmed, "" → null, metadata names lower-case (S3 keeps them so);
 * a metadata row with neither name nor value is left out. */
export function toInput(draft: RuleDraft): RuleInput {
  const metadata: Record<string, string> = {};
  for (const m of draft.metadata) {
    const name = m.name.trim().toLowerCase();
    if (name || m.value.trim()) metadata[name] = m.value;
  }
  const input: RuleInput = {
    glob: draft.glob.trim(),
    content_type: orNull(draft.content_type),
    cache_control: orNull(draft.cache_control),
    content_disposition: orNull(draft.content_disposition),
    storage_class: orNull(draft.storage_class),
    metadata,
  };
  if (draft.id) input.id = draft.id;
  return input;
}

/** A list's content, to tell whether the drafts differ from what was saved. */
export function rulesSignature(rules: readonly RuleInput[]): string {
  return JSON.stringify(
    rules.map((r) => [
      r.id ?? null,
      r.glob,
      r.content_type ?? null,
      r.cache_control ?? null,
      r.content_disposition ?? null,
      r.storage_class ?? null,
      Object.entries(r.metadata ?? {}),
    ]),
  );
}

export interface DraftProblem {
  /** 0-based index of the rule. */
  index: number;
  message: string;
}

/** The first problem that would make the server refuse the list, found before sending:
 * a rule without a glob, one that sets nothing, a metadata value without a name, or a
 * metadata name given twice. The server checks the rest (a bad glob, a bad name…). */
export function draftProblem(drafts: readonly RuleDraft[]): DraftProblem | null {
  for (const [index, d] of drafts.entries()) {
    const n = index + 1;
    if (d.glob.trim() === '') return { index, message: `Rule ${n}: enter a glob, like *.css.` };
    const names = d.metadata.map((m) => m.name.trim().toLowerCase());
    if (d.metadata.some((m, i) => names[i] === '' && m.value.trim() !== '')) {
      return { index, message: `Rule ${n}: a metadata value has no name.` };
    }
    const given = names.filter(Boolean);
    if (given.length !== new Set(given).size) return { index, message: `Rule ${n}: each metadata name can appear once.` };
    const input = toInput(d);
    const setsSomething =
      !!input.content_type ||
      !!input.cache_control ||
      !!input.content_disposition ||
      !!input.storage_class ||
      Object.keys(input.metadata).length > 0;
    if (!setsSomething) {
      return { index, message: `Rule ${n} (${d.glob.trim()}) sets nothing: give it at least one header, a storage class or metadata.` };
    }
  }
  return null;
}

/** The list with the item at `from` moved to `to` (out of range: unchanged). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length || to < 0 || to >= out.length || from === to) return out;
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}

// --- what an upload gets --------------------------------------------------------------

/** A rule as the upload dialog names it: its place in the list (1-based) and glob. */
export interface RuleRef {
  id: string;
  position: number;
  glob: string;
}

/** One header (or the storage class, or a metadata entry) an upload gets. */
export interface HeaderLine {
  /** "Content-Type", "Cache-Control", "Content-Disposition", "Storage class", "x-amz-meta-NAME". */
  name: string;
  value: string;
  /** The rule that set it (the last matching rule setting it), or null: the
   * extension's Content-Type, or the server's own choice. */
  source: RuleRef | null;
}

const FIELDS: readonly (readonly [keyof Omit<RuleHeaders, 'metadata'>, string])[] = [
  ['content_type', 'Content-Type'],
  ['cache_control', 'Cache-Control'],
  ['content_disposition', 'Content-Disposition'],
  ['storage_class', 'Storage class'],
];

function refOf(rule: UploadRule, rules: readonly UploadRule[]): RuleRef {
  return { id: rule.id, position: rules.indexOf(rule) + 1, glob: rule.glob };
}

/** The headers of one previewed key, each with the rule that set it: every matching
 * rule applies in order, so a field comes from the last matching rule that sets it. */
export function headerLines(preview: RulePreview, rules: readonly UploadRule[]): HeaderLine[] {
  const ids = new Set(preview.rule_ids);
  const matched = rules.filter((r) => ids.has(r.id));
  const lines: HeaderLine[] = [];
  for (const [field, name] of FIELDS) {
    const value = preview.headers[field];
    if (value === null || value === undefined || value === '') continue;
    const rule = [...matched].reverse().find((r) => (r[field] ?? '').trim() !== '');
    lines.push({ name, value, source: rule ? refOf(rule, rules) : null });
  }
  for (const [meta, value] of Object.entries(preview.headers.metadata ?? {})) {
    const lower = meta.toLowerCase();
    const rule = [...matched]
      .reverse()
      .find((r) => Object.keys(r.metadata ?? {}).some((k) => k.toLowerCase() === lower));
    lines.push({ name: `x-amz-meta-${meta}`, value, source: rule ? refOf(rule, rules) : null });
  }
  return lines;
}

/** Where a header comes from, in words. */
export function sourceLabel(line: HeaderLine): string {
  if (line.source) return `rule ${line.source.position} (${line.source.glob})`;
  return line.name === 'Content-Type' ? 'the file’s extension' : 'the server';
}

/** Files that get the same headers from the same rules. */
export interface PreviewGroup {
  keys: string[];
  lines: HeaderLine[];
  /** Whether any rule matches these files. */
  ruled: boolean;
}

/** Groups previewed keys by identical headers and sources, in the order first seen;
 * the groups no rule matches come last. */
export function groupPreviews(previews: readonly RulePreview[], rules: readonly UploadRule[]): PreviewGroup[] {
  const groups = new Map<string, PreviewGroup>();
  for (const p of previews) {
    const lines = headerLines(p, rules);
    const ruled = p.rule_ids.length > 0;
    const signature = JSON.stringify([ruled, lines.map((l) => [l.name, l.value, l.source?.id ?? null])]);
    const group = groups.get(signature);
    if (group) group.keys.push(p.key);
    else groups.set(signature, { keys: [p.key], lines, ruled });
  }
  const all = [...groups.values()];
  return [...all.filter((g) => g.ruled), ...all.filter((g) => !g.ruled)];
}

/** At most this many keys are previewed before an upload (the rest get the same rules,
 * but are not shown). */
export const PREVIEW_LIMIT = 5000;
/** Groups shown in the upload dialog; the rest are counted. */
export const GROUPS_SHOWN = 20;
/** Keys named in one group; the rest are counted. */
export const KEYS_SHOWN = 5;

/** The keys to preview, at most `limit`, and how many were left out. */
export function previewKeys(keys: readonly string[], limit = PREVIEW_LIMIT): { keys: string[]; omitted: number } {
  return { keys: keys.slice(0, limit), omitted: Math.max(0, keys.length - limit) };
}

/** A group's first keys and "and 3 more files" (or ""). */
export function groupKeys(group: PreviewGroup, shown = KEYS_SHOWN): { keys: string[]; more: string } {
  const more = group.keys.length - shown;
  return { keys: group.keys.slice(0, shown), more: more > 0 ? `and ${plural(more, 'more file', 'more files')}` : '' };
}

/** What a rule sets, as header lines (for folders whose files are not known yet, and
 * the rules list of the dialog). */
export function ruleLines(rule: UploadRule | RuleInput): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [field, name] of FIELDS) {
    const value = rule[field];
    if (value) out.push({ name, value });
  }
  for (const [meta, value] of Object.entries(rule.metadata ?? {})) out.push({ name: `x-amz-meta-${meta}`, value });
  return out;
}
