// The local index of a bucket in the browser, in Chromium against `coffer serve`: the
// Settings page's Index section; a bucket without an index (the Rust harness made its
// six objects before the browser started) indexed from the search box; a glob and a
// substring searched across the whole bucket, the results streaming into the list; a
// result opening its folder with the object selected; a folder reopened from the index
// (marked with its age) and folder sizes from it; axe on the pages; and the index
// forgotten in Settings.

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, enabled, env } from './env';
import {
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

const bucket = env.index.bucket;
const ready = enabled && !!bucket;

/** Every key of the bucket, in key order. */
const KEYS = ['docs/a.txt', 'docs/b.jpg', 'docs/deep/c.jpg', 'photos/2024/x.jpg', 'photos/2024/y.png', 'top.jpg'];

describe.skipIf(!ready)('the local index of a bucket', () => {
  let browser: Browser;
  let page: Page;

  const indexRow = () =>
    page.locator(`${tid('index-row')}[data-profile=${q(env.profile)}][data-bucket=${q(bucket)}]`);

  async function openSettings() {
    await page.click(tid('nav-settings'));
    await page.locator(`${tid('index-section')}[data-loaded="true"]`).waitFor({ timeout: 30_000 });
  }

  /** Searches the bucket from the toolbar and waits for the whole answer; the keys found. */
  async function search(pattern: string): Promise<string[]> {
    await page.fill(tid('index-search'), pattern);
    await page.press(tid('index-search'), 'Enter');
    const results = page.locator(`${tid('search-results')}[data-done="true"][data-query=${q(pattern)}]`);
    await results.waitFor({ timeout: 60_000 });
    expect(await results.getAttribute('data-error')).toBe('false');
    const keys = await page.locator(tid('search-row')).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(Number(await results.getAttribute('data-count'))).toBe(keys.length);
    return keys as string[];
  }

  beforeAll(async () => {
    browser = await launch();
    page = await openApp(browser);
  });

  afterAll(async () => {
    // Leave the bucket without an index, as it was found.
    await apiSend('DELETE', bucketApi(env.profile, bucket, '/index')).catch(() => undefined);
    await browser?.close();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(artifactsDir(), `failed-index-${name}.png`) }).catch(() => undefined);
  });

  it('shows the Index section in Settings, without the bucket yet', async () => {
    await page.locator(`${tid('profile-select')} option`).first().waitFor({ state: 'attached' });
    await openSettings();
    const section = page.locator(tid('index-section'));
    expect(await section.locator(tid('index-auto')).count()).toBe(1);
    expect(await section.locator(tid('index-auto-limit')).inputValue()).toMatch(/^\d+$/);
    expect(await section.locator(tid('index-refresh-minutes')).inputValue()).toMatch(/^\d+$/);
    expect(await page.locator(tid('index-disk')).getAttribute('data-bytes')).toMatch(/^\d+$/);
    expect(await indexRow().count()).toBe(0);
    await page.screenshot({ path: join(artifactsDir(), 'index-settings.png') });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('indexes the bucket from the search box, then finds every .jpg across the bucket', async () => {
    await chooseProfile(page, env.profile);
    await openBucket(page, bucket);
    await page.fill(tid('index-search'), '**/*.jpg');
    await page.press(tid('index-search'), 'Enter');
    // Opening the bucket may have started a build already (automatic indexing); else the
    // search offers to index the bucket.
    const results = page.locator(`${tid('search-results')}[data-done="true"]`);
    const offer = page.locator(`${tid('index-offer')} ${tid('index-build')}`);
    await results.or(offer).first().waitFor({ timeout: 60_000 });
    if (await offer.isVisible()) {
      await page.screenshot({ path: join(artifactsDir(), 'index-offer.png') });
      expect(await seriousViolations(page)).toEqual([]);
      await offer.click();
    }
    await results.waitFor({ timeout: 120_000 });
    expect(await search('**/*.jpg')).toEqual(['docs/b.jpg', 'docs/deep/c.jpg', 'photos/2024/x.jpg', 'top.jpg']);
    expect(await page.locator(tid('search-summary')).innerText()).toContain('4 matches');
    expect(await page.locator(tid('search-as-of')).innerText()).toMatch(/^From the index as of /);
  });

  it('finds a substring, and passes axe on the results', async () => {
    expect(await search('2024')).toEqual(['photos/2024/x.jpg', 'photos/2024/y.png']);
    // An empty pattern is every key (the whole bucket, in key order).
    expect(await search('')).toEqual(KEYS);
    expect(await search('2024')).toEqual(['photos/2024/x.jpg', 'photos/2024/y.png']);
    await page.screenshot({ path: join(artifactsDir(), 'index-search.png') });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('opens a result in its folder, selected', async () => {
    await page.click(`${tid('search-row')}[data-key=${q('photos/2024/x.jpg')}]`);
    await page.locator(`${tid('crumb')}[data-prefix="photos/2024/"][aria-current="page"]`).waitFor();
    await page.locator(`${rowSel('photos/2024/x.jpg')}[aria-selected="true"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator(tid('search-results')).count()).toBe(0);
    expect(await page.locator(`${tid('row')}[aria-selected="true"]`).count()).toBe(1);
  });

  it('reopens a folder from the index, and shows folder sizes from it', async () => {
    // Away to the bucket root, whose folders show their sizes from the index.
    await page.click(`${tid('crumb')}[data-prefix=""]`);
    await page.locator(`${tid('crumb')}[data-prefix=""][aria-current="page"]`).waitFor();
    await waitListed(page);
    expect(await page.locator(tid('index-age')).getAttribute('data-source')).toBe('index');
    await page.locator(`${rowSel('docs/')}[data-folder-objects="3"]`).waitFor({ timeout: 30_000 });
    await page.locator(`${rowSel('photos/')}[data-folder-objects="2"]`).waitFor({ timeout: 30_000 });

    // Back to docs/: its rows come from the index first, marked with its age.
    await openPrefix(page, 'docs/');
    await page.locator(rowSel('docs/a.txt')).waitFor();
    const age = page.locator(tid('index-age'));
    expect(await age.getAttribute('data-source')).toBe('index');
    expect(await age.getAttribute('data-as-of')).not.toBe('');
    expect(await age.innerText()).toMatch(/^as of /);
    await page.fill(tid('filter'), '');
    await waitListed(page);
    await page.locator(`${tid('index-age')}[data-refreshing="false"]`).waitFor({ timeout: 30_000 });
    const keys = await page.locator(tid('row')).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(keys).toEqual(['docs/deep/', 'docs/a.txt', 'docs/b.jpg']);

    // A folder's properties: its objects and bytes, from the index.
    await page.click(rowSel('docs/deep/'));
    await page.click(tid('toggle-properties'));
    const objects = page.locator(`${tid('folder-props')}[data-prefix="docs/deep/"] ${tid('folder-objects')}`);
    await objects.waitFor({ timeout: 30_000 });
    expect(await objects.getAttribute('data-objects')).toBe('1');
    expect(await page.locator(tid('folder-bytes')).getAttribute('data-bytes')).toMatch(/^\d+$/);
    await page.screenshot({ path: join(artifactsDir(), 'index-reopen.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await page.click(tid('toggle-properties'));
  });

  it('forgets the index in Settings', async () => {
    await openSettings();
    const row = indexRow();
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('data-state')).toBe('ready');
    expect(await row.locator(tid('index-objects')).getAttribute('data-objects')).toBe(String(KEYS.length));
    expect(await seriousViolations(page)).toEqual([]);
    await row.locator(tid('index-forget')).click();
    await page.locator(tid('index-forget-confirm')).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    const answer = await fetch(env.url + bucketApi(env.profile, bucket, '/index'), {
      headers: { Authorization: `Bearer ${env.token}` },
    });
    expect(answer.status).toBe(404);
  });
});
