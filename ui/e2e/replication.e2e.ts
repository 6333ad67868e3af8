// The replication page end to end, in Chromium against `coffer serve`: a SQLite
// database that a background writer keeps writing is added for replication to an
// empty bucket (after the cost preview, which lists S3, R2 and B2), runs with a TXID
// and a lag, its newest point is restored next to it (refused onto the restored file
// until "Replace existing file"), a restore drill passes, it pauses and resumes, axe
// finds nothing serious, and the job is removed (the replica's objects stay).
//
// The Rust side (crates/coffer-cli/tests/e2e_webui.rs) makes the database, runs its
// writer, and passes COFFER_REPL_DB and COFFER_REPL_BUCKET (see env.ts).

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, enabled, env } from './env';
import { apiGet, apiSend, bucketApi, launch, openApp, q, seriousViolations, tid } from './harness';

const r = env.replication;
const ready = enabled && !!r.db && !!r.bucket;

const REPLICA_URL = `s3://${r.bucket}/dbs`;
const RESTORED = join(dirname(r.db || '/'), 'restored-e2e.db');

interface ReplicationJob {
  job: { id: string; state: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Removes a job through the API the way the page does: cancel, wait, delete. */
async function removeJob(id: string): Promise<void> {
  const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
  await apiSend('POST', `${path}/cancel`).catch(() => null);
  for (let i = 0; i < 120; i++) {
    const job = await apiGet<{ state: string }>(path).catch(() => null);
    if (!job) return;
    if (job.state !== 'running' && job.state !== 'queued') break;
    await sleep(250);
  }
  await apiSend('DELETE', path).catch(() => null);
}

describe.skipIf(!ready)('replication page', () => {
  let browser: Browser;
  let page: Page;
  let jobId = '';
  let card = '';

  /** The job's card, or an element inside it. */
  const inCard = (testid: string) => `${card} ${tid(testid)}`;

  /** Waits until an attribute of the element `selector` passes `ok`. */
  async function waitAttr(selector: string, attr: string, ok: (value: string) => boolean, timeout = 60_000): Promise<string> {
    const end = Date.now() + timeout;
    for (;;) {
      const value = (await page.locator(selector).first().getAttribute(attr).catch(() => null)) ?? '';
      if (ok(value)) return value;
      if (Date.now() > end) throw new Error(`${selector} ${attr}="${value}" after ${timeout} ms`);
      await sleep(250);
    }
  }

  beforeAll(async () => {
    rmSync(RESTORED, { force: true });
    browser = await launch();
    page = await openApp(browser);
    await page.locator(`${tid('profile-select')} option[value=${q(env.profile)}]`).waitFor({ state: 'attached' });
  });

  afterAll(async () => {
    if (jobId) await removeJob(jobId);
    rmSync(RESTORED, { force: true });
    await browser?.close();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(artifactsDir(), `failed-replication-${name}.png`) }).catch(() => undefined);
  });

  it('opens the Replication page from the sidebar', async () => {
    await page.click(tid('nav-replication'));
    await page.locator(`${tid('nav-replication')}[aria-current="page"]`).waitFor();
    await page.locator(`${tid('replication-view')}[data-loaded="true"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator(`${tid('repl-job')}[data-urls*=${q(REPLICA_URL)}]`).count()).toBe(0);
  });

  it('previews the cost of replicating the database: requests, and S3, R2 and B2', async () => {
    await page.click(tid('repl-add'));
    await page.locator(tid('repl-add-dialog')).waitFor();
    await page.fill(tid('repl-db'), r.db);
    const first = `${tid('repl-replica-row')}[data-index="0"]`;
    await page.selectOption(`${first} ${tid('repl-replica-profile')}`, env.profile);
    await page.fill(`${first} ${tid('repl-replica-url')}`, REPLICA_URL);
    expect(await page.inputValue(tid('repl-interval'))).toBe('1s');
    expect(await page.inputValue(tid('repl-snapshot-every'))).toBe('24h');
    expect(await page.inputValue(tid('repl-retain'))).toBe('7d');
    // No enabling before the preview.
    expect(await page.locator(tid('repl-enable')).count()).toBe(0);
    await page.click(tid('repl-preview-run'));
    // It watches the database's writes for 3 s.
    await page.locator(tid('repl-preview-watching')).waitFor({ timeout: 2_000 });
    const preview = page.locator(tid('repl-preview'));
    await preview.waitFor({ timeout: 60_000 });
    expect(await page.locator(tid('repl-add-error')).count()).toBe(0);
    const providers = (await page.locator(tid('repl-preview-provider')).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-provider')))) as string[];
    expect(providers).toHaveLength(3);
    for (const name of [/S3/, /R2/, /B2/]) expect(providers.some((p) => name.test(p)), `${name} in ${providers.join(', ')}`).toBe(true);
    expect(Number.isFinite(Number(await preview.getAttribute('data-commits-per-s')))).toBe(true);
    expect(await page.locator(tid('repl-preview-idle')).innerText()).toMatch(/None while idle/);
    expect(await preview.innerText()).toMatch(/List prices; free tiers and egress left out/);
    const violations = await seriousViolations(page);
    await page.screenshot({ path: join(artifactsDir(), 'replication-preview.png') });
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
  });

  it('enables it: the job runs, with a TXID, a lag and a last sync', async () => {
    await page.click(tid('repl-enable'));
    await page.locator(tid('repl-add-dialog')).waitFor({ state: 'detached', timeout: 30_000 });
    card = `${tid('repl-job')}[data-urls*=${q(REPLICA_URL)}]`;
    await page.locator(card).waitFor({ timeout: 30_000 });
    jobId = (await page.locator(card).getAttribute('data-id')) as string;
    expect(jobId).not.toBe('');
    card = `${tid('repl-job')}[data-id=${q(jobId)}]`;
    await page.locator(`${card}[data-state="running"][data-live="true"]`).waitFor({ timeout: 60_000 });
    await waitAttr(card, 'data-txid', (v) => Number(v) > 0);
    const replica = inCard('repl-replica');
    await waitAttr(replica, 'data-last-sync-ms', (v) => Number(v) > 0);
    const lag = Number(await page.locator(replica).getAttribute('data-lag-ms'));
    expect(Number.isFinite(lag) && lag >= 0).toBe(true);
    expect(await page.locator(inCard('repl-replica-lag')).innerText()).toMatch(/^\d+(\.\d)? (ms|s)$|min/);
    expect(await page.locator(inCard('repl-replica-sync')).innerText()).not.toBe('never');
    expect(await page.locator(inCard('repl-job-state')).innerText()).toBe('Running');
    expect(await page.locator(inCard('repl-chart')).getAttribute('data-hours')).toBe('48');
    await page.screenshot({ path: join(artifactsDir(), 'replication-running.png') });
  });

  it('restores the newest point into a new file next to the database', async () => {
    await waitAttr(inCard('repl-replica'), 'data-last-snapshot-ms', (v) => Number(v) > 0);
    await page.click(inCard('repl-timeline-toggle'));
    const timeline = inCard('repl-timeline');
    await page.locator(`${timeline}[data-loaded="true"]`).waitFor({ timeout: 60_000 });
    // The first points may still be on their way: reload until there are some.
    for (let i = 0; i < 30 && Number(await page.locator(timeline).getAttribute('data-count')) === 0; i++) {
      await sleep(1000);
      await page.click(inCard('repl-timeline-refresh'));
      await page.locator(`${inCard('repl-timeline-refresh')}:not([disabled])`).waitFor();
    }
    expect(Number(await page.locator(timeline).getAttribute('data-count'))).toBeGreaterThan(0);
    await page.focus(inCard('repl-timeline-slider'));
    await page.keyboard.press('End');
    const point = page.locator(inCard('repl-point'));
    const count = Number(await page.locator(timeline).getAttribute('data-count'));
    expect(await point.getAttribute('data-index')).toBe(String(count - 1));
    const txid = Number(await point.getAttribute('data-txid'));
    expect(txid).toBeGreaterThan(0);
    expect(await point.innerText()).toContain(`TXID ${txid}`);

    await page.fill(inCard('repl-restore-target'), RESTORED);
    expect(await page.isChecked(inCard('repl-restore-force'))).toBe(false);
    await page.click(inCard('repl-restore-submit'));
    const result = page.locator(inCard('repl-restore-result'));
    await result.waitFor({ timeout: 120_000 });
    expect(Number(await result.getAttribute('data-txid'))).toBeGreaterThanOrEqual(txid);
    expect(Number(await result.getAttribute('data-objects'))).toBeGreaterThan(0);
    expect(await result.getAttribute('data-path')).toMatch(/restored-e2e\.db$/);
    expect(await result.innerText()).toMatch(/TXID \d+ of \d{4}-\d\d-\d\d/);
    expect(existsSync(RESTORED)).toBe(true);
    expect(readFileSync(RESTORED).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  });

  it('refuses to restore onto that file, then replaces it when asked', async () => {
    await page.click(inCard('repl-restore-submit'));
    const refusal = page.locator(`${inCard('repl-restore-error')}[data-code="exists"]`);
    await refusal.waitFor({ timeout: 60_000 });
    expect(await refusal.innerText()).toContain('Replace existing file');
    await page.check(inCard('repl-restore-force'));
    await page.click(inCard('repl-restore-submit'));
    await page.locator(inCard('repl-restore-result')).waitFor({ timeout: 120_000 });
    expect(await page.locator(inCard('repl-restore-error')).count()).toBe(0);
  });

  it('runs a restore drill now and shows it ok', async () => {
    const drills = inCard('repl-drills');
    const asked = Date.now();
    await page.click(inCard('repl-drill'));
    // Busy for the seconds it takes (it may be over before this looks).
    await page.locator(`${drills}[data-busy="true"]`).waitFor({ timeout: 10_000 }).catch(() => undefined);
    await page.locator(`${drills}[data-busy="false"]`).waitFor({ timeout: 120_000 });
    expect(await page.locator(inCard('repl-drill-error')).count()).toBe(0);
    const row = page.locator(`${inCard('repl-drill-row')}[data-ok="true"]`);
    await row.first().waitFor();
    expect(await row.first().innerText()).toContain('ok');
    expect(Number(await row.first().getAttribute('data-txid'))).toBeGreaterThan(0);
    // This drill's, not an older one's (the server runs on this machine: one clock).
    expect(Number(await row.first().getAttribute('data-at-ms'))).toBeGreaterThanOrEqual(asked - 5_000);
  });

  it('pauses and resumes it', async () => {
    await page.click(inCard('repl-action-pause'));
    await page.locator(`${card}[data-state="paused"]`).waitFor({ timeout: 30_000 });
    await page.click(inCard('repl-action-resume'));
    await page.locator(`${card}[data-state="running"]`).waitFor({ timeout: 30_000 });
  });

  it('has no serious accessibility violations on the page', async () => {
    const violations = await seriousViolations(page);
    await page.screenshot({ path: join(artifactsDir(), 'replication-page.png'), fullPage: true });
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
  });

  it('removes the job; the replica’s objects stay', async () => {
    await page.click(inCard('repl-remove'));
    const dialog = page.locator(tid('repl-remove-dialog'));
    await dialog.waitFor();
    const text = await page.locator(tid('repl-remove-text')).innerText();
    expect(text).toContain(REPLICA_URL);
    expect(text).toMatch(/objects stay/);
    await page.click(tid('repl-remove-confirm'));
    await page.locator(card).waitFor({ state: 'detached', timeout: 60_000 });
    await dialog.waitFor({ state: 'detached' });
    const jobs = await apiGet<ReplicationJob[]>('/api/v1/replication');
    expect(jobs.some((j) => j.job.id === jobId)).toBe(false);
    jobId = '';
    const listed = await apiGet<{ objects: unknown[] }>(bucketApi(env.profile, r.bucket, '/objects'), { prefix: 'dbs/', recursive: 'true' });
    expect(listed.objects.length).toBeGreaterThan(0);
  });
});
