// Upload header rules in the browser, in Chromium against `coffer serve`: a `*.css` rule
// (Cache-Control `public, max-age=31536000, immutable`) added and saved in Settings, the
// upload dialog showing it before `site.css` is sent, the object getting the header,
// `other.css` uploaded without the rules not getting it, and the rule removed again.
// Other flows upload into the same bucket, in any order: the rule lives only inside this
// file (removed at the end, and again in afterAll), and the files go under `rules-e2e/`.

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, enabled, env } from './env';
import {
  apiGet,
  apiSend,
  bucketApi,
  chooseProfile,
  launch,
  openApp,
  openBucket,
  openPrefix,
  q,
  rowSel,
  seriousViolations,
  tid,
  waitListed,
} from './harness';

interface Rule {
  id: string;
  glob: string;
  cache_control?: string | null;
  metadata: Record<string, string>;
}

interface Meta {
  key: string;
  cache_control: string | null;
}

const ready = enabled && !!env.bucket;
const GLOB = '*.css';
const CACHE = 'public, max-age=31536000, immutable';
const FOLDER = 'rules-e2e';
const SITE = `${FOLDER}/site.css`;
const OTHER = `${FOLDER}/other.css`;
const EXAMPLE_GLOB = '*.{js,css,woff2}';

const rulesPath = () => bucketApi(env.profile, env.bucket, '/rules');
const rules = async () => (await apiGet<{ rules: Rule[] }>(rulesPath())).rules;
const ours = (r: Rule) => r.glob === GLOB && r.cache_control === CACHE;
const meta = (key: string) => apiGet<Meta>(bucketApi(env.profile, env.bucket, '/object/meta'), { key });

/** Leaves the bucket as found: without this flow's rule (nor the example) and its files. */
async function cleanUp(): Promise<void> {
  const list = await rules();
  const kept = list.filter((r) => !ours(r) && r.glob !== EXAMPLE_GLOB);
  if (kept.length !== list.length) await apiSend('PUT', rulesPath(), { rules: kept });
  await apiSend('POST', bucketApi(env.profile, env.bucket, '/delete'), { keys: [], prefixes: [`${FOLDER}/`] });
}

describe.skipIf(!ready)('upload header rules', () => {
  let browser: Browser;
  let page: Page;
  /** The bucket's rules before this flow. */
  let before = 0;

  const section = (bucket: string) => `${tid('rules-section')}[data-loaded="true"][data-bucket=${q(bucket)}]`;

  async function openRules() {
    await page.click(tid('nav-settings'));
    await page.locator(tid('rules-section')).waitFor();
    await page.locator(`${tid('rules-profile')} option[value=${q(env.profile)}]`).waitFor({ state: 'attached' });
    await page.selectOption(tid('rules-profile'), env.profile);
    await page.locator(`${tid('rules-bucket')} option[value=${q(env.bucket)}]`).waitFor({ state: 'attached' });
    await page.selectOption(tid('rules-bucket'), env.bucket);
    await page.locator(section(env.bucket)).waitFor({ timeout: 30_000 });
  }

  /** Uploads one CSS file into the open folder through the file input; the rules dialog opens. */
  async function pick(name: string) {
    await page.setInputFiles(tid('file-input'), { name, mimeType: 'text/css', buffer: Buffer.from(`/* ${name} */ body {}\n`) });
    await page.locator(tid('upload-rules-dialog')).waitFor({ timeout: 30_000 });
    await page.locator(`${tid('upload-rules-preview')}[data-loaded="true"]`).waitFor({ timeout: 30_000 });
  }

  beforeAll(async () => {
    await cleanUp();
    before = (await rules()).length;
    browser = await launch();
    page = await openApp(browser);
  });

  afterAll(async () => {
    await cleanUp().catch((e) => console.error('rules clean-up:', e));
    await browser?.close();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(artifactsDir(), `failed-rules-${name}.png`) }).catch(() => undefined);
  });

  it('adds a *.css rule in Settings and saves it', async () => {
    await chooseProfile(page, env.profile);
    await openRules();
    const sec = page.locator(section(env.bucket));
    expect(Number(await sec.getAttribute('data-count'))).toBe(before);

    // The shipped example fills a rule in; it is not kept here.
    await page.click(tid('rule-add-example'));
    const example = page.locator(tid('rule-row')).last();
    expect(await example.locator(tid('rule-glob')).inputValue()).toBe(EXAMPLE_GLOB);
    expect(await example.locator(tid('rule-cache-control')).inputValue()).toBe(CACHE);
    await page.locator(`${tid('rules-status')}[data-kind="dirty"]`).waitFor();
    await example.locator(tid('rule-remove')).click();
    await page.locator(`${tid('rule-row')}[data-glob=${q(EXAMPLE_GLOB)}]`).waitFor({ state: 'detached' });

    await page.click(tid('rule-add'));
    const rule = page.locator(tid('rule-row')).last();
    await rule.locator(tid('rule-glob')).fill(GLOB);
    await rule.locator(tid('rule-cache-control')).fill(CACHE);
    expect(await rule.locator(tid('rule-storage-class')).inputValue()).toBe('');
    await page.locator(`${tid('rules-status')}[data-kind="dirty"]`).waitFor();

    const violations = await seriousViolations(page);
    await page.screenshot({ path: join(artifactsDir(), 'rules-settings.png') });
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);

    await page.click(tid('rules-save'));
    await page.locator(`${tid('rules-status')}[data-kind="ok"]`).waitFor({ timeout: 30_000 });
    await page.locator(`${section(env.bucket)}[data-count="${before + 1}"]`).waitFor();
    await page.locator(`${tid('rule-row')}[data-glob=${q(GLOB)}]`).waitFor();
    const saved = await rules();
    expect(saved.filter(ours)).toHaveLength(1);
    expect(saved).toHaveLength(before + 1);
  });

  it('shows the rule before an upload into the bucket, and the upload gets its Cache-Control', async () => {
    await page.click(tid('nav-browser'));
    await openBucket(page, env.bucket);
    await page.click(tid('new-folder'));
    await page.fill(tid('folder-name-input'), FOLDER);
    await page.click(tid('folder-name-confirm'));
    await page.locator(rowSel(`${FOLDER}/`)).waitFor({ timeout: 30_000 });
    await openPrefix(page, `${FOLDER}/`);
    await waitListed(page);

    await pick('site.css');
    const dialog = page.locator(tid('upload-rules-dialog'));
    expect(await dialog.innerText()).toContain(SITE);
    const header = page.locator(`${tid('upload-rules-header')}[data-name="Cache-Control"]`);
    expect(await header.getAttribute('data-value')).toBe(CACHE);
    expect(await header.innerText()).toContain(GLOB);
    expect(await page.locator(`${tid('upload-rules-group')}[data-ruled="true"]`).count()).toBe(1);
    // Nothing is sent before the answer.
    expect(await page.locator(`${tid('transfer-row')}[data-name=${q(SITE)}]`).count()).toBe(0);
    const violations = await seriousViolations(page);
    await page.screenshot({ path: join(artifactsDir(), 'rules-upload-dialog.png') });
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);

    await page.click(tid('upload-rules-confirm'));
    await dialog.waitFor({ state: 'detached' });
    await page.locator(rowSel(SITE)).waitFor({ timeout: 30_000 });
    expect((await meta(SITE)).cache_control).toBe(CACHE);
  });

  it('uploads without the rules when asked: no Cache-Control from them', async () => {
    await pick('other.css');
    expect(await page.locator(`${tid('upload-rules-header')}[data-name="Cache-Control"]`).getAttribute('data-value')).toBe(CACHE);
    await page.click(tid('upload-rules-skip'));
    await page.locator(tid('upload-rules-dialog')).waitFor({ state: 'detached' });
    await page.locator(rowSel(OTHER)).waitFor({ timeout: 30_000 });
    expect((await meta(OTHER)).cache_control ?? null).not.toBe(CACHE);
  });

  it('cancels an upload from the dialog: nothing is sent', async () => {
    await pick('cancelled.css');
    await page.click(tid('upload-rules-cancel'));
    await page.locator(tid('upload-rules-dialog')).waitFor({ state: 'detached' });
    expect(await page.locator(`${tid('transfer-row')}[data-name=${q(`${FOLDER}/cancelled.css`)}]`).count()).toBe(0);
  });

  it('removes the rule again in Settings, leaving the bucket as it was', async () => {
    await openRules();
    const rule = page.locator(`${tid('rule-row')}[data-glob=${q(GLOB)}]`).last();
    await rule.locator(tid('rule-remove')).click();
    await page.locator(`${tid('rules-status')}[data-kind="dirty"]`).waitFor();
    await page.click(tid('rules-save'));
    await page.locator(`${tid('rules-status')}[data-kind="ok"]`).waitFor({ timeout: 30_000 });
    await page.locator(`${section(env.bucket)}[data-count="${before}"]`).waitFor();
    const left = await rules();
    expect(left.filter(ours)).toEqual([]);
    expect(left).toHaveLength(before);
  });

  it('uploads at once, without the dialog, into a bucket without rules', async (ctx) => {
    if (before > 0) ctx.skip();
    await page.click(tid('nav-browser'));
    await page.locator(`${tid('crumb')}[data-prefix=${q(`${FOLDER}/`)}][aria-current="page"]`).waitFor();
    await waitListed(page);
    await page.setInputFiles(tid('file-input'), { name: 'plain.css', mimeType: 'text/css', buffer: Buffer.from('p {}\n') });
    await page.locator(rowSel(`${FOLDER}/plain.css`)).waitFor({ timeout: 30_000 });
    expect(await page.locator(tid('upload-rules-dialog')).count()).toBe(0);
    expect((await meta(`${FOLDER}/plain.css`)).cache_control ?? null).not.toBe(CACHE);
  });
});
