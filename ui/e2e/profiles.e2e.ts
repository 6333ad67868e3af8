// The add-profile form end to end: a profile for the S3 endpoint of the test
// environment (Garage in CI), a connection test that succeeds, then removal.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { enabled, env } from './env';
import { launch, openApp, q, tid } from './harness';

const s3 = env.s3;
const ready = enabled && !!s3.endpoint && !!s3.keyId && !!s3.secret;

describe.skipIf(!ready)('add-profile form', () => {
  let browser: Browser;
  let page: Page;
  const name = `e2e-${Date.now().toString(36)}`;
  const item = `${tid('profile-item')}[data-name=${q(name)}]`;

  beforeAll(async () => {
    browser = await launch();
    page = await openApp(browser);
    await page.locator(`${tid('profile-select')} option`).first().waitFor({ state: 'attached' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('adds a profile and its connection test shows ok', async () => {
    await page.click(tid('nav-profiles'));
    await page.click(tid('add-profile'));
    await page.fill(tid('pf-name'), name);
    await page.fill(tid('pf-endpoint'), s3.endpoint as string);
    if (s3.region) await page.fill(tid('pf-region'), s3.region);
    await page.check(tid('pf-path-style'));
    await page.fill(tid('pf-key-id'), s3.keyId as string);
    await page.fill(tid('pf-secret'), s3.secret as string);
    await page.click(tid('pf-test'));
    const result = page.locator(`${tid('profile-form')} ${tid('profile-test-result')}`);
    await page.locator(`${tid('profile-form')} ${tid('profile-test-result')}:is([data-ok="true"], [data-ok="false"])`).waitFor({ timeout: 30_000 });
    expect(await result.getAttribute('data-ok'), await result.innerText()).toBe('true');
    await page.click(tid('pf-save'));
    await page.locator(item).waitFor();
    // The secret is never shown; the key id only masked.
    const text = await page.locator(item).innerText();
    expect(text).not.toContain(s3.secret as string);
    if ((s3.keyId as string).length > 8) expect(text).not.toContain(s3.keyId as string);
  });

  it('tests the saved profile from the list', async () => {
    await page.click(`${item} ${tid('profile-test')}`);
    const result = page.locator(`${item} ${tid('profile-test-result')}`);
    await page.locator(`${item} ${tid('profile-test-result')}[data-ok="true"]`).waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toMatch(/OK/);
  });

  it('removes the profile after a confirm', async () => {
    await page.click(`${item} ${tid('profile-remove')}`);
    await page.click(tid('profile-remove-confirm'));
    await page.locator(item).waitFor({ state: 'detached' });
  });
});
