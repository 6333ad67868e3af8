// Share links in the browser, in Chromium against `coffer serve`: the Shares page lists
// the links the CLI made before the browser started (the Rust harness: one valid for an
// hour, one already expired), live ones first, with their expiry, as does the API; the
// live one is copied again; the Share dialog refuses a custom expiry past 7 days before
// sending anything, and the link it makes joins the list as made with the web UI;
// Forget removes a record after a confirmation that says the link keeps working; and
// axe finds nothing serious on the page, light and dark.

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
  q,
  rowSel,
  seriousViolations,
  tid,
} from './harness';

/** A record of `GET /api/v1/shares`. */
interface ShareRecord {
  id: string;
  profile: string;
  bucket: string;
  key: string;
  method: string;
  created_at: string;
  expires_at: string;
  expires_secs: number;
  expired: boolean;
  via: string;
}

const s = env.shares;
const ready = enabled && !!s.bucket && !!s.liveKey && !!s.expiredKey && !!env.bucket;
const UPLOADED = `shares-e2e-${Date.now()}.txt`;
const REVOCATION = 'cannot be revoked before it expires, except by rotating the access key that signed it';

describe.skipIf(!ready)('share links', () => {
  let browser: Browser;
  let page: Page;
  let live: ShareRecord;
  let expired: ShareRecord;
  /** The link made in the Share dialog. */
  let madeId = '';

  const row = (id: string) => page.locator(`${tid('share-row')}[data-id=${q(id)}]`);
  const shares = async () => (await apiGet<{ shares: ShareRecord[] }>('/api/v1/shares')).shares;

  async function openShares() {
    await page.click(tid('nav-shares'));
    await page.locator(`${tid('shares-view')}[data-loaded="true"][data-loading="false"]`).waitFor({ timeout: 30_000 });
  }

  beforeAll(async () => {
    browser = await launch();
    page = await openApp(browser);
    // Copy again writes to the clipboard; headless Chromium may still refuse to read it.
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.url })
      .catch(() => undefined);
  });

  afterAll(async () => {
    if (madeId) await apiSend('DELETE', `/api/v1/shares/${encodeURIComponent(madeId)}`).catch(() => undefined);
    await apiSend('POST', bucketApi(env.profile, env.bucket, '/delete'), { keys: [UPLOADED], prefixes: [] }).catch(() => undefined);
    await browser?.close();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(artifactsDir(), `failed-shares-${name}.png`) }).catch(() => undefined);
  });

  it('lists the links the CLI made in the API, with their expiry', async () => {
    const list = await shares();
    const mine = (key: string, isExpired: boolean) =>
      list.find((x) => x.profile === env.profile && x.bucket === s.bucket && x.key === key && x.expired === isExpired);
    live = mine(s.liveKey, false) as ShareRecord;
    expired = mine(s.expiredKey, true) as ShareRecord;
    expect(live, `a live link to ${s.liveKey} in ${JSON.stringify(list)}`).toBeTruthy();
    expect(expired, `an expired link to ${s.expiredKey} in ${JSON.stringify(list)}`).toBeTruthy();
    expect(live.via).toBe('cli');
    expect(Date.parse(live.expires_at)).toBeGreaterThan(Date.now());
    expect(Date.parse(expired.expires_at)).toBeLessThanOrEqual(Date.now());
    // Live ones first.
    expect(list.findIndex((x) => x.id === live.id)).toBeLessThan(list.findIndex((x) => x.id === expired.id));
  });

  it('shows them on the Shares page: the live one with its expiry, the expired one after it', async () => {
    await page.locator(`${tid('profile-select')} option`).first().waitFor({ state: 'attached' });
    await openShares();
    expect(await page.locator(tid('shares-note')).innerText()).toContain(REVOCATION);

    const liveRow = row(live.id);
    expect(await liveRow.getAttribute('data-expired')).toBe('false');
    expect(await liveRow.getAttribute('data-key')).toBe(s.liveKey);
    expect(await liveRow.getAttribute('data-bucket')).toBe(s.bucket);
    expect(await liveRow.getAttribute('data-via')).toBe('cli');
    const liveExpires = liveRow.locator(tid('share-expires'));
    expect(await liveExpires.getAttribute('data-expires-at')).toBe(live.expires_at);
    const liveText = await liveExpires.innerText();
    expect(liveText).toMatch(/in (a moment|\d+ (min|h|d))/);
    expect(liveText).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(liveText).not.toContain('Expired');
    expect(await liveRow.locator(tid('share-copy')).count()).toBe(1);

    const expiredRow = row(expired.id);
    expect(await expiredRow.getAttribute('data-expired')).toBe('true');
    expect(await expiredRow.getAttribute('data-key')).toBe(s.expiredKey);
    const expiredText = await expiredRow.locator(tid('share-expires')).innerText();
    expect(expiredText).toContain('Expired');
    expect(expiredText).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(await expiredRow.locator(tid('share-copy')).count()).toBe(0);

    // Every live row before every expired one, and the CLI's live link before its expired one.
    const rows = await page
      .locator(tid('share-row'))
      .evaluateAll((els) => els.map((el) => [el.getAttribute('data-id'), el.getAttribute('data-expired')] as const));
    const flags = rows.map(([, e]) => e);
    if (flags.includes('true')) expect(flags.lastIndexOf('false')).toBeLessThan(flags.indexOf('true'));
    const ids = rows.map(([id]) => id);
    expect(ids.indexOf(live.id)).toBeLessThan(ids.indexOf(expired.id));
    await page.screenshot({ path: join(artifactsDir(), 'shares.png') });
  });

  it('copies the live link again', async () => {
    await row(live.id).locator(tid('share-copy')).click();
    const status = page.locator(tid('shares-status'));
    await page.locator(`${tid('shares-status')}:is([data-kind="ok"], [data-kind="manual"], [data-kind="error"])`).waitFor();
    const kind = await status.getAttribute('data-kind');
    expect(kind, await status.innerText()).not.toBe('error');
    expect(await status.innerText()).toContain(`${s.bucket}/${s.liveKey}`);
    // The URL itself: shown when the clipboard refused it, else read back when allowed.
    const url =
      kind === 'manual'
        ? await page.inputValue(tid('shares-copy-url'))
        : await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
    if (url) {
      expect(url).toMatch(/^https?:\/\//);
      expect(url).toMatch(/X-Amz-Signature=/);
    }
  });

  it('refuses a custom expiry past 7 days, then makes a link that the page lists as made with the web UI', async () => {
    await page.click(tid('nav-browser'));
    await chooseProfile(page, env.profile);
    await openBucket(page, env.bucket);
    await page.setInputFiles(tid('file-input'), { name: UPLOADED, mimeType: 'text/plain', buffer: Buffer.from('shared\n') });
    await page.locator(rowSel(UPLOADED)).waitFor({ timeout: 30_000 });
    await page.click(rowSel(UPLOADED));
    await page.click(tid('share'));
    await page.locator(tid('share-dialog')).waitFor();
    expect(await page.inputValue(tid('share-expiry'))).toBe('3600');
    expect(await page.locator(tid('share-note')).innerText()).toContain(REVOCATION);
    expect(await page.locator(tid('share-note')).innerText()).toContain('Shares page');

    await page.selectOption(tid('share-expiry'), 'custom');
    await page.fill(tid('share-custom-amount'), '8');
    await page.selectOption(tid('share-custom-unit'), 'days');
    const error = page.locator(tid('share-expiry-error'));
    await error.waitFor();
    expect(await error.innerText()).toContain('at most 7 days');
    expect(await page.locator(tid('share-create')).isDisabled()).toBe(true);
    // Enter does not send it either.
    await page.press(tid('share-custom-amount'), 'Enter');
    expect(await page.locator(tid('share-url')).count()).toBe(0);
    const violations = await seriousViolations(page);
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);

    await page.fill(tid('share-custom-amount'), '0');
    await page.locator(`${tid('share-expiry-error')}:has-text("at least 1 second")`).waitFor();
    await page.fill(tid('share-custom-amount'), '2');
    await page.selectOption(tid('share-custom-unit'), 'hours');
    await error.waitFor({ state: 'detached' });
    await page.click(tid('share-create'));
    const url = page.locator(tid('share-url'));
    await url.waitFor({ timeout: 30_000 });
    expect(await url.inputValue()).toMatch(/X-Amz-Expires=7200/);
    madeId = (await url.getAttribute('data-share-id')) ?? '';
    expect(madeId).not.toBe('');
    const expires = page.locator(tid('share-expires'));
    const expiresAt = Date.parse((await expires.getAttribute('data-expires-at')) ?? '');
    expect(Math.abs(expiresAt - (Date.now() + 7200_000))).toBeLessThan(10 * 60_000);
    expect(await expires.innerText()).toMatch(/Expires \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    await page.keyboard.press('Escape');
    await page.locator(tid('share-dialog')).waitFor({ state: 'detached' });

    await openShares();
    const made = row(madeId);
    await made.waitFor();
    expect(await made.getAttribute('data-via')).toBe('web');
    expect(await made.getAttribute('data-key')).toBe(UPLOADED);
    expect(await made.getAttribute('data-bucket')).toBe(env.bucket);
    expect(await made.getAttribute('data-expired')).toBe('false');
    expect(await made.locator(tid('share-via')).innerText()).toBe('web UI');
    // The newest live link comes first.
    expect(await page.locator(tid('share-row')).first().getAttribute('data-id')).toBe(madeId);
  });

  it('forgets a link after a confirmation that says it keeps working until it expires', async () => {
    const made = row(madeId);
    await made.locator(tid('share-forget')).click();
    const text = page.locator(tid('share-forget-text'));
    await text.waitFor();
    expect(await text.innerText()).toContain('keeps working until it expires');
    expect(await text.innerText()).toContain(REVOCATION);
    await page.click(tid('share-forget-confirm'));
    await made.waitFor({ state: 'detached' });
    expect((await shares()).map((x) => x.id)).not.toContain(madeId);
    madeId = '';
    // Still gone after a refresh; the CLI's links are still there.
    await page.click(tid('shares-refresh'));
    await page.locator(`${tid('shares-view')}[data-loaded="true"][data-loading="false"]`).waitFor();
    await row(live.id).waitFor();
    await row(expired.id).waitFor();
  });

  it('has no serious accessibility violations on the Shares page, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const violations = await seriousViolations(page);
      expect(violations, `${colorScheme}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    }
    await page.screenshot({ path: join(artifactsDir(), 'shares-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
