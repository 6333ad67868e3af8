// Browser helpers for the end-to-end tests: Debian's chromium through playwright-core
// (no downloaded browsers), the app's test ids, the API for setup, and axe-core.

import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { env } from './env';

export async function launch(): Promise<Browser> {
  // Playwright gives every launch a fresh, temporary --user-data-dir of its own (it
  // refuses one in `args`), so no state leaks between runs.
  return chromium.launch({
    executablePath: env.chromium,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function openApp(browser: Browser, withToken = true): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const hash = withToken ? `#token=${encodeURIComponent(env.token)}` : '';
  await page.goto(`${env.url}/${hash}`);
  return page;
}

export const tid = (id: string) => `[data-testid="${id}"]`;

/** CSS attribute selector value, quoted. */
export const q = (value: string) => JSON.stringify(value);

export const rowSel = (key: string) => `[data-testid="row"][data-key=${q(key)}]`;

/** Waits until the listing of the open prefix has every page. */
export async function waitListed(page: Page, timeout = 60_000): Promise<number> {
  const count = page.locator(`${tid('list-count')}[data-loading="false"]`);
  await count.waitFor({ timeout });
  return Number(await count.getAttribute('data-count'));
}

export async function chooseProfile(page: Page, profile: string): Promise<void> {
  await page.locator(`${tid('profile-select')} option[value=${q(profile)}]`).waitFor({ state: 'attached' });
  await page.selectOption(tid('profile-select'), profile);
}

export async function openBucket(page: Page, bucket: string): Promise<void> {
  await page.click(`${tid('bucket-row')}[data-bucket=${q(bucket)}]`);
  await waitListed(page);
}

/** Opens `prefix` (like `a/b/`) from the bucket root, one folder at a time. */
export async function openPrefix(page: Page, prefix: string): Promise<void> {
  let at = '';
  for (const segment of prefix.split('/').slice(0, -1)) {
    at += `${segment}/`;
    await page.fill(tid('filter'), segment);
    await page.dblclick(rowSel(at));
    await page.locator(`${tid('crumb')}[data-prefix=${q(at)}][aria-current="page"]`).waitFor();
  }
}

/** Calls the API from Node (setup and checks), with the token. */
export async function apiGet<T>(path: string, query: Record<string, string> = {}): Promise<T> {
  const url = new URL(env.url + path);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${env.token}` } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Calls the API from Node with a body (setup and clean-up), with the token; resolves
 * with the JSON answer, or null for 204. */
export async function apiSend<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T | null> {
  const headers: Record<string, string> = { Authorization: `Bearer ${env.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(env.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? (JSON.parse(text) as T) : null;
}

/** `/api/v1/profiles/{p}/buckets/{b}` + rest, names encoded. */
export const bucketApi = (profile: string, bucket: string, rest = '') =>
  `/api/v1/profiles/${encodeURIComponent(profile)}/buckets/${encodeURIComponent(bucket)}${rest}`;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
  targets: string[];
}

/** axe-core on the page now; the serious and critical violations. The source is
 * evaluated over the DevTools protocol, which the page's CSP does not block. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axe.source);
  const found = await page.evaluate(async () => {
    const w = window as unknown as { axe: typeof axe };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.length,
      targets: v.nodes.slice(0, 5).map((n) => String(n.target.join(' '))),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
