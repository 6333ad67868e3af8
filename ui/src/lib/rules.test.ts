// Upload header rules: the client's routes (a bucket's list, the whole list saved, one
// added or removed, every bucket's, previews in batches of 1000), the editor's drafts
// (to and from the API's shape, checks before saving, moves), and what the upload
// dialog shows (each header with the rule that set it, files grouped by headers).
import { describe, expect, it } from 'vitest';
import { CofferApi, PREVIEW_BATCH } from './api';
import { uploadKeys, uploadQuery } from './browser-upload';
import {
  IMMUTABLE_EXAMPLE,
  STORAGE_CLASSES,
  draftProblem,
  emptyDraft,
  groupKeys,
  groupPreviews,
  headerLines,
  moveItem,
  previewKeys,
  ruleLines,
  rulesSignature,
  sourceLabel,
  toDraft,
  toInput,
} from './rules';
import type { JsonRequest, Transport } from './transport';
import type { RulePreview, UploadRule } from './types';

class Recorder implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  constructor(private readonly answer: (r: JsonRequest) => unknown) {}
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    return this.answer(request) as T;
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

const CSS: UploadRule = { id: 'r1', glob: '*.css', cache_control: 'public, max-age=31536000, immutable', metadata: {} };
const ASSETS: UploadRule = {
  id: 'r2',
  glob: 'assets/**/*',
  cache_control: 'max-age=60',
  content_disposition: 'inline',
  storage_class: 'STANDARD_IA',
  metadata: { Owner: 'web' },
};
const TYPE: UploadRule = { id: 'r3', glob: '*.map', content_type: 'application/json', metadata: { owner: 'maps' } };
const RULES = [CSS, ASSETS, TYPE];

function preview(key: string, ruleIds: string[], headers: Partial<RulePreview['headers']>): RulePreview {
  return { key, rule_ids: ruleIds, headers: { metadata: {}, ...headers } };
}

describe('rule routes', () => {
  it('reads, saves, adds and removes a bucket’s rules; names are path segments', async () => {
    const t = new Recorder((r) => (r.method === 'GET' || r.method === 'PUT' ? { rules: [CSS] } : r.method === 'POST' ? CSS : null));
    const api = new CofferApi(t);
    expect(await api.rules('my p', 'b/x')).toEqual([CSS]);
    expect(await api.saveRules('p', 'b', [{ glob: '*.css', cache_control: 'x', metadata: {} }])).toEqual([CSS]);
    expect(await api.addRule('p', 'b', { glob: '*.js', metadata: {} })).toEqual(CSS);
    await api.removeRule('p', 'b', 'id/1');
    expect(t.requests).toEqual([
      { method: 'GET', path: '/api/v1/profiles/my%20p/buckets/b%2Fx/rules', query: undefined },
      { method: 'PUT', path: '/api/v1/profiles/p/buckets/b/rules', body: { rules: [{ glob: '*.css', cache_control: 'x', metadata: {} }] }, query: undefined },
      { method: 'POST', path: '/api/v1/profiles/p/buckets/b/rules', body: { glob: '*.js', metadata: {} }, query: undefined },
      { method: 'DELETE', path: '/api/v1/profiles/p/buckets/b/rules/id%2F1', body: undefined, query: undefined },
    ]);
  });

  it('lists every bucket’s rules of a profile', async () => {
    const t = new Recorder(() => ({ rules: [{ ...CSS, bucket: 'b' }] }));
    const api = new CofferApi(t);
    expect(await api.allRules('p q')).toEqual([{ ...CSS, bucket: 'b' }]);
    expect(t.requests).toEqual([{ method: 'GET', path: '/api/v1/profiles/p%20q/rules', query: undefined }]);
  });

  it('previews keys in batches of 1000, in order', async () => {
    const t = new Recorder((r) => ({
      previews: (r.body as { keys: string[] }).keys.map((key) => preview(key, [], {})),
    }));
    const api = new CofferApi(t);
    const keys = Array.from({ length: 2 * PREVIEW_BATCH + 5 }, (_, i) => `k${i}`);
    const previews = await api.previewRules('p', 'b', keys);
    expect(previews.map((p) => p.key)).toEqual(keys);
    expect(t.requests.map((r) => [r.method, r.path, (r.body as { keys: string[] }).keys.length])).toEqual([
      ['POST', '/api/v1/profiles/p/buckets/b/rules/preview', 1000],
      ['POST', '/api/v1/profiles/p/buckets/b/rules/preview', 1000],
      ['POST', '/api/v1/profiles/p/buckets/b/rules/preview', 5],
    ]);
    expect(await api.previewRules('p', 'b', [])).toEqual([]);
    expect(t.requests).toHaveLength(3);
  });

  it('uploads skip the rules with no_rules=true, and name their keys', () => {
    expect(uploadQuery('a b.css')).toEqual({ key: 'a b.css' });
    expect(uploadQuery('a b.css', { noRules: false })).toEqual({ key: 'a b.css' });
    expect(uploadQuery('a b.css', { noRules: true })).toEqual({ key: 'a b.css', no_rules: 'true' });
    const file = new File(['x'], 'site.css');
    expect(
      uploadKeys({ profile: 'p', bucket: 'b', prefix: 'www/' }, [
        { file, relativePath: 'site.css' },
        { file, relativePath: 'css\\deep/site.css' },
      ]),
    ).toEqual(['www/site.css', 'www/css/deep/site.css']);
  });
});

describe('the rules editor', () => {
  it('ships the immutable-assets example and the storage classes', () => {
    expect(IMMUTABLE_EXAMPLE).toEqual({ glob: '*.{js,css,woff2}', cache_control: 'public, max-age=31536000, immutable', metadata: {} });
    expect(STORAGE_CLASSES).toEqual([
      'STANDARD',
      'STANDARD_IA',
      'ONEZONE_IA',
      'INTELLIGENT_TIERING',
      'GLACIER_IR',
      'GLACIER',
      'DEEP_ARCHIVE',
      'REDUCED_REDUNDANCY',
    ]);
  });

  it('turns rules into drafts and back: trimmed, empty fields null, metadata names lower-case, ids kept', () => {
    const draft = toDraft(ASSETS);
    expect(draft.id).toBe('r2');
    expect(draft.content_type).toBe('');
    expect(draft.metadata.map((m) => [m.name, m.value])).toEqual([['Owner', 'web']]);
    draft.glob = '  assets/**/*  ';
    draft.cache_control = '   ';
    draft.metadata.push({ uid: 99, name: '', value: '' });
    expect(toInput(draft)).toEqual({
      id: 'r2',
      glob: 'assets/**/*',
      content_type: null,
      cache_control: null,
      content_disposition: 'inline',
      storage_class: 'STANDARD_IA',
      metadata: { owner: 'web' },
    });
    const fresh = toInput(toDraft(IMMUTABLE_EXAMPLE));
    expect(fresh).not.toHaveProperty('id');
    expect(fresh.cache_control).toBe('public, max-age=31536000, immutable');
  });

  it('gives every draft and metadata row its own uid', () => {
    const a = toDraft(ASSETS);
    const b = emptyDraft();
    const uids = [a.uid, b.uid, ...a.metadata.map((m) => m.uid)];
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('tells an unchanged list from an edited one', () => {
    const drafts = RULES.map(toDraft);
    const saved = rulesSignature(drafts.map(toInput));
    expect(rulesSignature(RULES.map(toDraft).map(toInput))).toBe(saved);
    drafts[0].cache_control = 'no-cache';
    expect(rulesSignature(drafts.map(toInput))).not.toBe(saved);
    expect(rulesSignature(moveItem(RULES, 0, 1))).not.toBe(rulesSignature(RULES));
  });

  it('finds problems before sending, naming the rule', () => {
    expect(draftProblem(RULES.map(toDraft))).toBeNull();
    expect(draftProblem([])).toBeNull();
    const noGlob = emptyDraft();
    noGlob.cache_control = 'x';
    expect(draftProblem([toDraft(CSS), noGlob])).toEqual({ index: 1, message: 'Rule 2: enter a glob, like *.css.' });
    const nothing = emptyDraft();
    nothing.glob = '*.txt';
    expect(draftProblem([nothing])?.message).toMatch(/^Rule 1 \(\*\.txt\) sets nothing/);
    const nameless = toDraft(TYPE);
    nameless.metadata.push({ uid: 1000, name: ' ', value: 'v' });
    expect(draftProblem([nameless])).toEqual({ index: 0, message: 'Rule 1: a metadata value has no name.' });
    const twice = toDraft(TYPE);
    twice.metadata.push({ uid: 1001, name: 'OWNER', value: 'v' });
    expect(draftProblem([twice])).toEqual({ index: 0, message: 'Rule 1: each metadata name can appear once.' });
    const metaOnly = emptyDraft();
    metaOnly.glob = '*';
    metaOnly.metadata.push({ uid: 1002, name: 'a', value: '' });
    expect(draftProblem([metaOnly])).toBeNull();
  });

  it('moves a rule up and down, and leaves the list alone out of range', () => {
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 3)).toEqual(['a', 'b', 'c']);
    const list = ['a', 'b'];
    moveItem(list, 0, 1);
    expect(list).toEqual(['a', 'b']);
  });
});

describe('what an upload gets', () => {
  it('names the rule that set each header: the last matching rule setting it', () => {
    const p = preview('assets/css/site.css', ['r1', 'r2'], {
      content_type: 'text/css',
      cache_control: 'max-age=60',
      content_disposition: 'inline',
      storage_class: 'STANDARD_IA',
      metadata: { owner: 'web' },
    });
    const lines = headerLines(p, RULES);
    expect(lines.map((l) => [l.name, l.value, l.source?.id ?? null, l.source?.position ?? null])).toEqual([
      ['Content-Type', 'text/css', null, null],
      ['Cache-Control', 'max-age=60', 'r2', 2],
      ['Content-Disposition', 'inline', 'r2', 2],
      ['Storage class', 'STANDARD_IA', 'r2', 2],
      ['x-amz-meta-owner', 'web', 'r2', 2],
    ]);
    expect(lines.map(sourceLabel)).toEqual([
      'the file’s extension',
      'rule 2 (assets/**/*)',
      'rule 2 (assets/**/*)',
      'rule 2 (assets/**/*)',
      'rule 2 (assets/**/*)',
    ]);
  });

  it('credits the earlier rule for a header the later one does not set', () => {
    const p = preview('site.map', ['r1', 'r3'], { content_type: 'application/json', cache_control: 'public, max-age=31536000, immutable', metadata: { owner: 'maps' } });
    const rules = [{ ...CSS, glob: '*' }, TYPE];
    expect(headerLines(p, rules).map((l) => [l.name, sourceLabel(l)])).toEqual([
      ['Content-Type', 'rule 2 (*.map)'],
      ['Cache-Control', 'rule 1 (*)'],
      ['x-amz-meta-owner', 'rule 2 (*.map)'],
    ]);
  });

  it('leaves unset headers out and credits the server for values no rule gave', () => {
    const p = preview('x.bin', [], { content_type: null, cache_control: 'no-store', metadata: {} });
    const lines = headerLines(p, RULES);
    expect(lines.map((l) => [l.name, l.source])).toEqual([['Cache-Control', null]]);
    expect(sourceLabel(lines[0])).toBe('the server');
  });

  it('groups files with the same headers from the same rules; files no rule matches last', () => {
    const css = (key: string) => preview(key, ['r1'], { content_type: 'text/css', cache_control: CSS.cache_control });
    const previews = [
      preview('readme.txt', [], { content_type: 'text/plain' }),
      css('a.css'),
      preview('b.png', [], { content_type: 'image/png' }),
      css('dir/b.css'),
      preview('notes.txt', [], { content_type: 'text/plain' }),
      css('c.css'),
    ];
    const groups = groupPreviews(previews, RULES);
    expect(groups.map((g) => [g.ruled, g.keys])).toEqual([
      [true, ['a.css', 'dir/b.css', 'c.css']],
      [false, ['readme.txt', 'notes.txt']],
      [false, ['b.png']],
    ]);
    expect(groups[0].lines.map((l) => [l.name, l.value, l.source?.glob])).toEqual([
      ['Content-Type', 'text/css', undefined],
      ['Cache-Control', 'public, max-age=31536000, immutable', '*.css'],
    ]);
  });

  it('keeps thousands of files to a few groups, naming a handful of each', () => {
    const previews = Array.from({ length: 3000 }, (_, i) =>
      i % 2 ? preview(`f${i}.css`, ['r1'], { content_type: 'text/css', cache_control: CSS.cache_control }) : preview(`f${i}.txt`, [], { content_type: 'text/plain' }),
    );
    const groups = groupPreviews(previews, RULES);
    expect(groups.map((g) => g.keys.length)).toEqual([1500, 1500]);
    expect(groupKeys(groups[0])).toEqual({ keys: ['f1.css', 'f3.css', 'f5.css', 'f7.css', 'f9.css'], more: 'and 1,495 more files' });
    expect(groupKeys({ keys: ['a', 'b'], lines: [], ruled: false })).toEqual({ keys: ['a', 'b'], more: '' });
    expect(groupKeys({ keys: ['a', 'b', 'c'], lines: [], ruled: false }, 2).more).toBe('and 1 more file');
  });

  it('previews at most the first 5000 keys, counting the rest', () => {
    const keys = Array.from({ length: 5003 }, (_, i) => `k${i}`);
    expect(previewKeys(keys).keys).toHaveLength(5000);
    expect(previewKeys(keys).omitted).toBe(3);
    expect(previewKeys(['a'])).toEqual({ keys: ['a'], omitted: 0 });
  });

  it('lists what a rule sets, for folders whose files are not known', () => {
    expect(ruleLines(ASSETS)).toEqual([
      { name: 'Cache-Control', value: 'max-age=60' },
      { name: 'Content-Disposition', value: 'inline' },
      { name: 'Storage class', value: 'STANDARD_IA' },
      { name: 'x-amz-meta-Owner', value: 'web' },
    ]);
    expect(ruleLines(IMMUTABLE_EXAMPLE)).toEqual([{ name: 'Cache-Control', value: 'public, max-age=31536000, immutable' }]);
  });
});
