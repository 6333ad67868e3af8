// Object versions in the browser, in Chromium against `coffer serve`: a bucket with
// versioning on (moto; the Rust side made three versions of one key), the Versions
// panel of the object's properties listing them newest first, a restore of the first
// one, a delete after a confirmation that names the version, a deleted object shown
// with Show deleted and undeleted, and no panel on a server without versions (Garage).

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, enabled, env } from './env';
import { chooseProfile, launch, openApp, openBucket, openPrefix, rowSel, tid, waitListed } from './harness';

const v = env.versions;
const ready = enabled && !!v.profile && !!v.bucket && !!v.key;

describe.skipIf(!ready)('object versions', () => {
  let browser: Browser;
  let page: Page;
  const panel = (count: number) => `${tid('versions-panel')}[data-loaded="true"][data-count="${count}"]`;
  const sizes = () =>
    page.locator(tid('version-row')).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-size')));

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
    await page.screenshot({ path: join(artifactsDir(), `failed-versions-${name}.png`) }).catch(() => undefined);
  });

  it('lists every version of an object, newest first', async () => {
    await chooseProfile(page, v.profile);
    await openBucket(page, v.bucket);
    const folder = v.key.slice(0, v.key.lastIndexOf('/') + 1);
    if (folder) await openPrefix(page, folder);
    await page.fill(tid('filter'), '');
    await page.click(rowSel(v.key));
    await page.click(tid('toggle-properties'));
    await page.locator(panel(3)).waitFor({ timeout: 30_000 });
    expect(await sizes()).toEqual(['26', '15', '6']);
    const rows = page.locator(tid('version-row'));
    expect(await rows.nth(0).getAttribute('data-latest')).toBe('true');
    expect(await rows.nth(2).getAttribute('data-latest')).toBe('false');
    await page.screenshot({ path: join(artifactsDir(), 'versions-panel.png') });
  });

  it('restores the first version: it becomes the current one', async () => {
    await page.locator(tid('version-row')).nth(2).locator(tid('version-restore')).click();
    await page.locator(panel(4)).waitFor({ timeout: 30_000 });
    expect(await sizes()).toEqual(['6', '26', '15', '6']);
    expect(await page.locator(tid('version-row')).nth(0).getAttribute('data-latest')).toBe('true');
  });

  it('deletes a version for good after a confirmation that names it', async () => {
    const last = page.locator(tid('version-row')).nth(3);
    const id = (await last.getAttribute('data-version-id')) as string;
    await last.locator(tid('version-delete')).click();
    const confirm = page.locator(tid('version-delete-confirm'));
    await confirm.waitFor();
    expect(await page.locator('[role="dialog"], dialog').last().innerText()).toContain(id.slice(0, 8));
    await confirm.click();
    await page.locator(panel(3)).waitFor({ timeout: 30_000 });
    const ids = await page
      .locator(tid('version-row'))
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-version-id')));
    expect(ids).not.toContain(id);
    await page.click(tid('toggle-properties'));
  });

  it('shows a deleted object with Show deleted, and undeletes it', async () => {
    await page.click(rowSel(v.key));
    await page.click(tid('delete'));
    await page.click(tid('delete-confirm'));
    await page.locator(rowSel(v.key)).waitFor({ state: 'detached', timeout: 30_000 });
    await page.click(tid('show-deleted'));
    const deleted = page.locator(`${tid('deleted-row')}[data-key=${JSON.stringify(v.key)}]`);
    await deleted.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(artifactsDir(), 'versions-deleted.png') });
    await deleted.locator(tid('undelete')).click();
    await page.locator(rowSel(v.key)).waitFor({ timeout: 30_000 });
    await page.locator(`${tid('deleted-list')}[data-loaded="true"][data-count="0"]`).waitFor({ timeout: 30_000 });
    await page.click(tid('show-deleted'));
  });

  it('shows no versions panel on a server without versions', async () => {
    await chooseProfile(page, env.profile);
    await openBucket(page, env.bigBucket);
    await openPrefix(page, env.bigPrefix);
    await waitListed(page);
    await page.locator(tid('row')).first().click();
    await page.click(tid('toggle-properties'));
    await page.locator(tid('prop-size')).waitFor();
    // Give the versions request time to answer `unsupported`.
    await page.waitForTimeout(1000);
    expect(await page.locator(tid('versions-panel')).count()).toBe(0);
    expect(await page.locator(tid('versions-error')).count()).toBe(0);
    await page.click(tid('toggle-properties'));
  });
});
