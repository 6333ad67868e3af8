// The web UI end to end, in Chromium against `coffer serve`: upload (file input and
// HTML5 drop), rename, delete, new folder, a 10,000-object prefix, and axe-core.

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, enabled, env } from './env';
import {
  apiGet,
  chooseProfile,
  launch,
  openApp,
  openBucket,
  openPrefix,
  rowSel,
  seriousViolations,
  tid,
  waitListed,
} from './harness';

const UPLOADED = 'e2e-upload.txt';
const UPLOADED_BODY = 'hello from the file input\n';
const DROPPED = 'dropped ü +%.txt';
const DROPPED_BODY = 'dropped through a synthetic HTML5 drop\n';
const RENAMED = 'e2e renamed.txt';
const FOLDER = 'e2e folder';

describe.skipIf(!enabled)('browser UI', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launch();
    page = await openApp(browser);
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(artifactsDir(), `failed-${name}.png`) }).catch(() => undefined);
  });

  it('strips the token from the address bar', async () => {
    await page.locator(`${tid('profile-select')} option`).first().waitFor({ state: 'attached' });
    expect(page.url()).not.toContain('token=');
  });

  it('opens the bucket', async () => {
    expect(env.bucket, 'COFFER_BUCKET').not.toBe('');
    await chooseProfile(page, env.profile);
    await openBucket(page, env.bucket);
    await page.locator(tid('breadcrumbs')).waitFor();
  });

  it('uploads through the file input', async () => {
    await page.setInputFiles(tid('file-input'), {
      name: UPLOADED,
      mimeType: 'text/plain',
      buffer: Buffer.from(UPLOADED_BODY),
    });
    const row = page.locator(rowSel(UPLOADED));
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('data-size')).toBe(String(Buffer.byteLength(UPLOADED_BODY)));
    await page.locator(`${tid('transfer-row')}[data-state="done"]`).first().waitFor();
  });

  it('uploads through an HTML5 drop, with the overlay', async () => {
    await page.evaluate(
      ([name, body]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([body], name, { type: 'text/plain' }));
        (window as unknown as { __dt: DataTransfer }).__dt = dt;
        const zone = document.querySelector('[data-testid="drop-zone"]') as HTMLElement;
        for (const type of ['dragenter', 'dragover']) {
          zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
        }
      },
      [DROPPED, DROPPED_BODY],
    );
    const overlay = page.locator(tid('drop-overlay'));
    await overlay.waitFor();
    expect(await overlay.innerText()).toContain(`Drop to upload to ${env.bucket}/`);
    await page.evaluate(() => {
      const dt = (window as unknown as { __dt: DataTransfer }).__dt;
      const zone = document.querySelector('[data-testid="drop-zone"]') as HTMLElement;
      zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
    });
    await overlay.waitFor({ state: 'detached' });
    const row = page.locator(rowSel(DROPPED));
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('data-size')).toBe(String(Buffer.byteLength(DROPPED_BODY)));
  });

  it.skipIf(env.profile === 'local')('creates a share link', async () => {
    await page.click(rowSel(UPLOADED));
    await page.click(tid('share'));
    await page.selectOption(tid('share-expiry'), '86400');
    await page.click(tid('share-create'));
    const url = page.locator(tid('share-url'));
    await url.waitFor();
    const value = await url.inputValue();
    expect(value).toContain(UPLOADED);
    expect(value).toMatch(/X-Amz-Expires=86400/);
    await page.keyboard.press('Escape');
    await page.locator(tid('share-dialog')).waitFor({ state: 'detached' });
  });

  it('edits the properties of an object', async () => {
    await page.click(rowSel(UPLOADED));
    await page.click(tid('toggle-properties'));
    await page.locator(tid('prop-size')).waitFor();
    expect(await page.locator(tid('prop-size')).getAttribute('data-bytes')).toBe(String(Buffer.byteLength(UPLOADED_BODY)));
    await page.fill(tid('prop-cache-control'), 'max-age=60');
    await page.click(tid('meta-add'));
    await page.locator(tid('meta-name')).last().fill('owner');
    await page.locator(tid('meta-value')).last().fill('e2e');
    await page.click(tid('prop-save'));
    await page.locator(`${tid('toast')}:has-text("Properties saved")`).waitFor();
    expect(await page.inputValue(tid('prop-cache-control'))).toBe('max-age=60');
    expect(await page.locator(tid('meta-name')).last().inputValue()).toBe('owner');
    await page.click(tid('toggle-properties'));
  });

  it('renames an object', async () => {
    await page.click(rowSel(UPLOADED));
    await page.keyboard.press('F2');
    const input = page.locator(tid('rename-input'));
    await input.waitFor();
    await input.fill(RENAMED);
    await page.click(tid('rename-confirm'));
    await page.locator(rowSel(RENAMED)).waitFor();
    await page.locator(rowSel(UPLOADED)).waitFor({ state: 'detached' });
  });

  it('deletes two objects after a confirm that shows the count', async () => {
    await page.click(rowSel(RENAMED));
    await page.click(rowSel(DROPPED), { modifiers: ['Control'] });
    await page.click(tid('delete'));
    const count = page.locator(tid('delete-count'));
    await count.waitFor();
    expect(await count.getAttribute('data-count')).toBe('2');
    await page.click(tid('delete-confirm'));
    await page.locator(rowSel(RENAMED)).waitFor({ state: 'detached' });
    await page.locator(rowSel(DROPPED)).waitFor({ state: 'detached' });
  });

  it('creates a folder', async () => {
    await page.click(tid('new-folder'));
    await page.fill(tid('folder-name-input'), FOLDER);
    await page.click(tid('folder-name-confirm'));
    await page.locator(rowSel(`${FOLDER}/`)).waitFor();
    await page.screenshot({ path: join(artifactsDir(), 'browser.png') });
    // Leave the bucket empty again.
    await page.click(rowSel(`${FOLDER}/`));
    await page.keyboard.press('Delete');
    await page.click(tid('delete-confirm'));
    await page.locator(rowSel(`${FOLDER}/`)).waitFor({ state: 'detached' });
  });

  it('streams a 10,000-object prefix into a virtual list', async () => {
    expect(env.bigBucket, 'COFFER_BIG_BUCKET').not.toBe('');
    await openBucket(page, env.bigBucket);
    await openPrefix(page, env.bigPrefix);
    await page.fill(tid('filter'), '');
    const count = await waitListed(page, 120_000);
    expect(count).toBe(env.bigCount);
    const grid = page.locator(tid('object-grid'));
    expect(await grid.getAttribute('aria-rowcount')).toBe(String(env.bigCount + 1));

    const perf = await page.evaluate(() => {
      const p = window.__cofferPerf;
      return {
        rows: p?.domRowCount() ?? -1,
        click: p?.lastListClickAt ?? null,
        painted: p?.firstPageRenderedAt ?? null,
        marks: performance.getEntriesByName('coffer:first-page').length,
      };
    });
    expect(perf.rows).toBeGreaterThan(0);
    expect(perf.rows).toBeLessThan(200);
    expect(perf.marks).toBeGreaterThan(0);
    expect(perf.painted).not.toBeNull();
    expect(perf.painted as number).toBeGreaterThanOrEqual(perf.click as number);

    const last = await lastKey(env.bigBucket, env.bigPrefix);
    await grid.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.locator(rowSel(last)).waitFor();
    expect(await page.evaluate(() => window.__cofferPerf?.domRowCount() ?? -1)).toBeLessThan(200);
    await page.screenshot({ path: join(artifactsDir(), 'big-prefix.png') });
  });

  it('has no serious accessibility violations in the browser view, light and dark', async () => {
    await page.click('[data-testid="row"]');
    await page.click(tid('toggle-properties'));
    await page.locator(tid('prop-size')).waitFor();
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const violations = await seriousViolations(page);
      expect(violations, `${colorScheme}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    }
    await page.screenshot({ path: join(artifactsDir(), 'browser-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.click(tid('toggle-properties'));
  });

  it('has no serious accessibility violations in settings', async () => {
    await page.click(tid('nav-settings'));
    await page.locator('#settings-title').waitFor();
    const violations = await seriousViolations(page);
    await page.screenshot({ path: join(artifactsDir(), 'settings.png') });
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
  });

  it('has no serious accessibility violations in profiles', async () => {
    await page.click(tid('nav-profiles'));
    await page.locator(tid('profile-list')).waitFor();
    await page.click(tid('add-profile'));
    await page.locator(tid('profile-form')).waitFor();
    const violations = await seriousViolations(page);
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
  });

  it('asks for a token when there is none', async () => {
    const bare = await openApp(browser, false);
    await bare.locator(tid('token-form')).waitFor();
    await bare.fill(tid('token-input'), env.token);
    await bare.click(tid('token-save'));
    await bare.locator(tid('token-form')).waitFor({ state: 'detached' });
    await bare.locator(`${tid('profile-select')} option`).first().waitFor({ state: 'attached' });
    await bare.context().close();
  });
});

/** The key the UI shows last: folders first, then by lowercased name, then key. */
async function lastKey(bucket: string, prefix: string): Promise<string> {
  type Page = { objects: { key: string }[]; common_prefixes: string[]; next_token: string | null };
  const entries: { key: string; folder: boolean; lower: string }[] = [];
  let continuation: string | null = null;
  do {
    const query: Record<string, string> = { prefix };
    if (continuation) query.continuation = continuation;
    const page: Page = await apiGet<Page>(
      `/api/v1/profiles/${encodeURIComponent(env.profile)}/buckets/${encodeURIComponent(bucket)}/objects`,
      query,
    );
    for (const p of page.common_prefixes) {
      entries.push({ key: p, folder: true, lower: p.slice(prefix.length, -1).toLowerCase() });
    }
    for (const o of page.objects) {
      if (o.key !== prefix) entries.push({ key: o.key, folder: false, lower: o.key.slice(prefix.length).toLowerCase() });
    }
    continuation = page.next_token;
  } while (continuation);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  entries.sort((a, b) => (a.folder !== b.folder ? (a.folder ? -1 : 1) : cmp(a.lower, b.lower) || cmp(a.key, b.key)));
  return entries[entries.length - 1].key;
}
