// The backups page end to end, in Chromium against `coffer serve` on Garage: a
// repository refused on a bucket holding a foreign object, one created on an empty
// bucket, a backup job of a local folder run twice (a file changed in between), the
// run history, the snapshots, the lazy tree (and a folder of 10,000 files), a file's
// timeline, restoring each version (never → unchanged → would_overwrite → if-changed),
// a retention dry run, a check, and axe-core.
//
// The Rust side (crates/coffer-cli/tests/e2e_webui.rs) prepares the buckets and the
// folders, inside the server's allowed folders (COFFER_API_ALLOWED_DIRS), and passes
// them as COFFER_BACKUP_* (see env.ts).

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, enabled, env } from './env';
import { apiGet, launch, openApp, q, seriousViolations, tid } from './harness';

const b = env.backup;
const ready = enabled && !!b.bucket && !!b.foreignBucket && !!b.foreignKey && !!b.src && !!b.restore;

const PASSWORD = 'e2e backup password ü';
/** The file whose timeline is checked, in `src/docs` (made by the Rust side). */
const FILE = 'notes ü +%.txt';
const SECOND = 'the second version of the notes, longer than the first\n';

const repoUrl = `s3://${b.bucket}/`;
const repoKeyOf = (url: string) => `${env.profile}:${url}`;
const row = (testid: string, attr: string, value: string) => `${tid(testid)}[${attr}=${q(value)}]`;
const treeRow = (path: string) => row('tree-row', 'data-path', path);

/** The first file named `name` under `dir`, recursively. */
function findFile(dir: string, name: string): string | null {
  if (!existsSync(dir)) return null;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isFile() && e.name === name) return path;
    if (e.isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return null;
}

interface Snapshot {
  id: string;
  paths: string[];
}

describe.skipIf(!ready)('backups page', () => {
  let browser: Browser;
  let page: Page;
  let jobId = '';
  let jobRow = '';
  let first = '';
  let second = '';
  /** The backed-up folder as the snapshot has it (the server resolves the path). */
  let src = '';
  let firstBody = '';

  beforeAll(async () => {
    browser = await launch();
    page = await openApp(browser);
    await page.locator(`${tid('profile-select')} option[value=${q(env.profile)}]`).waitFor({ state: 'attached' });
    firstBody = readFileSync(join(b.src, 'docs', FILE), 'utf8');
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(artifactsDir(), `failed-backups-${name}.png`) }).catch(() => undefined);
  });

  it('opens the Backups page from the sidebar', async () => {
    await page.click(tid('nav-backups'));
    await page.locator(`${tid('nav-backups')}[aria-current="page"]`).waitFor();
    await page.locator(`${tid('backups-view')}[data-loaded="true"]`).waitFor();
  });

  async function fillRepoForm(url: string) {
    await page.click(tid('backups-tab-repos'));
    await page.click(tid('backup-repo-add'));
    await page.locator(tid('backup-repo-dialog')).waitFor();
    await page.selectOption(tid('backup-repo-profile'), env.profile);
    await page.check(tid('backup-repo-mode-create'));
    await page.fill(tid('backup-repo-url'), url);
    await page.fill(tid('backup-repo-password'), PASSWORD);
    await page.fill(tid('backup-repo-password2'), PASSWORD);
    await page.click(tid('backup-repo-save'));
  }

  it('refuses to create a repository on a bucket holding a foreign object, naming it', async () => {
    await fillRepoForm(`s3://${b.foreignBucket}/`);
    const error = page.locator(`${tid('backup-repo-error')}[data-code="not_dedicated"]`);
    await error.waitFor({ timeout: 60_000 });
    expect(await error.innerText()).toContain(b.foreignKey);
    await page.click(tid('backup-repo-cancel'));
    await page.locator(tid('backup-repo-dialog')).waitFor({ state: 'detached' });
    expect(await page.locator(row('repo-row', 'data-url', `s3://${b.foreignBucket}/`)).count()).toBe(0);
  });

  it('creates a repository on an empty bucket', async () => {
    await fillRepoForm(repoUrl);
    await page.locator(tid('backup-repo-dialog')).waitFor({ state: 'detached', timeout: 60_000 });
    const repo = page.locator(row('repo-row', 'data-url', repoUrl));
    await repo.waitFor();
    expect(await repo.getAttribute('data-profile')).toBe(env.profile);
    expect(await repo.getAttribute('data-append-only')).toBe('false');
    // The password is the server's (keychain) business: never in the page.
    expect(await page.content()).not.toContain(PASSWORD);
  });

  it('creates a backup job of the local folder', async () => {
    await page.click(tid('backups-tab-jobs'));
    await page.click(tid('backup-job-new'));
    await page.locator(tid('backup-job-dialog')).waitFor();
    await page.selectOption(tid('bj-repo'), repoKeyOf(repoUrl));
    await page.fill(tid('bj-paths'), b.src);
    await page.fill(tid('bj-excludes'), '*.tmp');
    await page.check(tid('bj-exclude-caches'));
    await page.fill(tid('bj-tags'), 'e2e, webui');
    await page.check(tid('bj-schedule-mode-none'));
    await page.fill(tid('bj-keep-last'), '10');
    await page.click(tid('bj-save'));
    await page.locator(tid('backup-job-dialog')).waitFor({ state: 'detached', timeout: 30_000 });
    const created = page.locator(row('backup-job-row', 'data-repo', repoUrl));
    await created.waitFor();
    jobId = (await created.getAttribute('data-id')) as string;
    jobRow = row('backup-job-row', 'data-id', jobId);
    expect(await page.locator(`${jobRow} ${tid('backup-job-last-run')}`).getAttribute('data-result')).toBe('');
    expect(await page.locator(`${jobRow} ${tid('backup-job-schedule')}`).innerText()).toBe('—');
  });

  it('runs it now and shows the run: snapshot, files, bytes added, chart', async () => {
    await page.click(`${jobRow} ${tid('backup-job-action-run')}`);
    await page.locator(`${jobRow}[data-state="done"]`).waitFor({ timeout: 280_000 });
    expect(await page.locator(`${jobRow} ${tid('backup-job-last-run')}`).getAttribute('data-result')).toBe('done');
    // A new job is selected at once; its name button toggles the details.
    const details = page.locator(row('backup-job-details', 'data-id', jobId));
    if ((await details.count()) === 0) await page.click(`${jobRow} ${tid('backup-job-select')}`);
    await details.waitFor();
    const run = page.locator(`${tid('backup-run-row')}[data-result="done"]`);
    await run.first().waitFor({ timeout: 30_000 });
    first = (await run.first().getAttribute('data-snapshot')) as string;
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await run.first().locator(tid('backup-run-files')).innerText()).toMatch(/new/);
    expect(Number(await run.first().locator(tid('backup-run-added')).getAttribute('data-bytes'))).toBeGreaterThan(0);
    expect(Number(await run.first().locator(tid('backup-run-size')).getAttribute('data-bytes'))).toBeGreaterThan(0);
    expect(await page.locator(tid('backup-chart')).getAttribute('data-runs')).toBe('1');
  }, 300_000);

  it('runs again after a change: two runs, two snapshots', async () => {
    writeFileSync(join(b.src, 'docs', FILE), SECOND);
    await page.click(`${jobRow} ${tid('backup-job-action-run')}`);
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="backup-run-row"][data-result="done"]').length >= 2,
      null,
      { timeout: 280_000 },
    );
    await page.locator(`${jobRow}[data-state="done"]`).waitFor();
    second = (await page.locator(tid('backup-run-row')).first().getAttribute('data-snapshot')) as string;
    expect(second).toMatch(/^[0-9a-f]{64}$/);
    expect(second).not.toBe(first);
    expect(await page.locator(tid('backup-chart')).getAttribute('data-runs')).toBe('2');
    expect(await page.locator(tid('backup-run-row')).first().locator(tid('backup-run-files')).innerText()).toMatch(/1 changed/);
    await page.screenshot({ path: join(artifactsDir(), 'backups-jobs.png') });
  }, 300_000);

  it('lists the snapshots, newest first', async () => {
    await page.click(tid('backups-tab-snapshots'));
    await page.selectOption(tid('snapshots-repo'), repoKeyOf(repoUrl));
    await page.locator(`${tid('snapshot-list')}[data-count="2"]`).waitFor({ timeout: 60_000 });
    const ids = await page.locator(tid('snapshot-row')).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(ids).toEqual([second, first]);
    const snapshots = await apiGet<Snapshot[]>('/api/v1/backups/snapshots', { profile: env.profile, repo: repoUrl });
    src = snapshots[snapshots.length - 1].paths[0];
    expect(src.endsWith('/backup-src') || src === b.src).toBe(true);
  });

  it('browses into a folder: one level at a time, the lone folders above the backup opened at once', async () => {
    await page.click(`${row('snapshot-row', 'data-id', second)} ${tid('snapshot-open')}`);
    await page.locator(`${treeRow(src)}[aria-expanded="true"]`).waitFor({ timeout: 60_000 });
    await page.locator(treeRow(`${src}/top.txt`)).waitFor();
    await page.click(treeRow(`${src}/docs`));
    await page.locator(treeRow(`${src}/docs/${FILE}`)).waitFor({ timeout: 60_000 });
    expect(await page.locator(`${treeRow(`${src}/docs`)}`).getAttribute('aria-expanded')).toBe('true');
    // Excluded by *.tmp.
    expect(await page.locator(treeRow(`${src}/docs/skip.tmp`)).count()).toBe(0);
    expect(await page.locator(treeRow(`${src}/docs/${FILE}`)).getAttribute('data-size')).toBe(String(Buffer.byteLength(SECOND)));
  });

  it.skipIf(b.bigCount <= 0)('keeps a folder of many files virtual', async () => {
    const tree = page.locator(tid('snapshot-tree'));
    await page.click(treeRow(`${src}/big`));
    await page.locator(`${tid('snapshot-tree')}[data-loading="false"]`).waitFor({ timeout: 120_000 });
    expect(Number(await tree.getAttribute('data-rows'))).toBeGreaterThanOrEqual(b.bigCount);
    const domRows = () => page.locator(tid('tree-row')).count();
    expect(await domRows()).toBeLessThan(200);
    const last = `${src}/big/f-${String(b.bigCount - 1).padStart(5, '0')}.txt`;
    await tree.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    // The folder's last file, then the files and folders below it in the tree.
    await page.locator(treeRow(last)).waitFor();
    expect(await domRows()).toBeLessThan(200);
    await page.screenshot({ path: join(artifactsDir(), 'backups-big-folder.png') });
    await tree.evaluate((el) => {
      el.scrollTop = 0;
    });
    await page.click(treeRow(`${src}/big`));
    await page.locator(treeRow(`${src}/big/f-00000.txt`)).waitFor({ state: 'detached' });
  });

  it('shows a file’s timeline: two versions, newest first', async () => {
    await page.click(treeRow(`${src}/docs/${FILE}`));
    const timeline = page.locator(`${tid('timeline')}[data-path=${q(`${src}/docs/${FILE}`)}][data-loaded="true"]`);
    await timeline.waitFor({ timeout: 60_000 });
    const versions = page.locator(tid('timeline-row'));
    expect(await versions.count()).toBe(2);
    expect(await versions.nth(0).getAttribute('data-snapshot')).toBe(second);
    expect(await versions.nth(0).getAttribute('data-latest')).toBe('true');
    expect(await versions.nth(1).getAttribute('data-snapshot')).toBe(first);
    expect(await versions.nth(1).getAttribute('data-size')).toBe(String(Buffer.byteLength(firstBody)));
    await page.screenshot({ path: join(artifactsDir(), 'backups-timeline.png') });
  });

  it('restores the older version in one click, into another allowed folder', async () => {
    await page.fill(tid('timeline-target'), b.restore);
    await page.locator(tid('timeline-row')).nth(1).locator(tid('timeline-restore')).click();
    const result = page.locator(`${tid('timeline')} ${tid('restore-result')}`);
    await result.waitFor({ timeout: 120_000 });
    expect(await result.getAttribute('data-snapshot')).toBe(first);
    expect(await result.getAttribute('data-files-restored')).toBe('1');
    const restored = findFile(b.restore, FILE);
    expect(restored, `${FILE} under ${b.restore}`).not.toBeNull();
    expect(readFileSync(restored as string, 'utf8')).toBe(firstBody);
  });

  it('restoring it again finds the file there, unchanged (the UI’s answer)', async () => {
    await page.locator(tid('timeline-row')).nth(1).locator(tid('timeline-restore')).click();
    const result = page.locator(`${tid('timeline')} ${tid('restore-result')}[data-files-unchanged="1"]`);
    await result.waitFor({ timeout: 120_000 });
    expect(await result.getAttribute('data-files-restored')).toBe('0');
  });

  it('refuses to overwrite with the newer version, then replaces it when asked', async () => {
    await page.locator(tid('timeline-row')).nth(0).locator(tid('timeline-restore')).click();
    const refusal = page.locator(`${tid('timeline')} ${tid('restore-error')}[data-code="would_overwrite"]`);
    await refusal.waitFor({ timeout: 120_000 });
    expect(await refusal.innerText()).toContain(FILE);
    await page.click(`${tid('timeline')} ${tid('restore-retry-if-changed')}`);
    const result = page.locator(`${tid('timeline')} ${tid('restore-result')}`);
    await result.waitFor({ timeout: 120_000 });
    expect(await result.getAttribute('data-snapshot')).toBe(second);
    expect(await result.getAttribute('data-files-restored')).toBe('1');
    expect(await result.getAttribute('data-files-replaced')).toBe('1');
    expect(readFileSync(findFile(b.restore, FILE) as string, 'utf8')).toBe(SECOND);
  });

  it('has no serious accessibility violations on the snapshot browser', async () => {
    await page.locator(tid('snapshot-tree')).focus();
    const violations = await seriousViolations(page);
    await page.screenshot({ path: join(artifactsDir(), 'backups-snapshots.png') });
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
  });

  it('restores a whole snapshot from the dialog', async () => {
    await page.click(`${row('snapshot-row', 'data-id', first)} ${tid('snapshot-restore')}`);
    await page.locator(tid('restore-dialog')).waitFor();
    expect(await page.locator(tid('restore-what')).getAttribute('data-path')).toBe('');
    expect(await page.locator(`${tid('restore-overwrite-never')}`).isChecked()).toBe(true);
    await page.fill(tid('restore-target'), join(b.restore, 'whole'));
    await page.click(tid('restore-submit'));
    const result = page.locator(`${tid('restore-dialog')} ${tid('restore-result')}`);
    await result.waitFor({ timeout: 120_000 });
    expect(Number(await result.getAttribute('data-files-restored'))).toBeGreaterThanOrEqual(2 + b.bigCount);
    expect(readFileSync(findFile(join(b.restore, 'whole'), FILE) as string, 'utf8')).toBe(firstBody);
    await page.click(tid('restore-cancel'));
    await page.locator(tid('restore-dialog')).waitFor({ state: 'detached' });
  }, 300_000);

  it('shows what a retention dry run would forget, and forgets nothing', async () => {
    await page.click(tid('backups-tab-repos'));
    await page.click(`${row('repo-row', 'data-url', repoUrl)} ${tid('repo-forget')}`);
    await page.locator(tid('repo-maint-dialog')).waitFor();
    await page.fill(tid('keep-last'), '1');
    await page.click(tid('maint-dry-run'));
    const result = page.locator(`${tid('maint-result')}[data-dry-run="true"]`);
    await result.waitFor({ timeout: 60_000 });
    expect(await result.getAttribute('data-removed')).toBe('1');
    expect(await page.locator(`${tid('maint-decision')}[data-keep="false"]`).getAttribute('data-snapshot')).toBe(first);
    expect(await page.locator(`${tid('maint-decision')}[data-keep="true"]`).getAttribute('data-snapshot')).toBe(second);
    const violations = await seriousViolations(page);
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
    await page.click(tid('maint-close'));
    await page.locator(tid('repo-maint-dialog')).waitFor({ state: 'detached' });
    const snapshots = await apiGet<Snapshot[]>('/api/v1/backups/snapshots', { profile: env.profile, repo: repoUrl });
    expect(snapshots).toHaveLength(2);
  });

  it('checks the repository', async () => {
    await page.click(`${row('repo-row', 'data-url', repoUrl)} ${tid('repo-check')}`);
    await page.locator(tid('repo-maint-dialog')).waitFor();
    await page.click(tid('maint-run'));
    const result = page.locator(tid('check-result'));
    await result.waitFor({ timeout: 120_000 });
    expect(await result.getAttribute('data-ok'), await result.innerText()).toBe('true');
    await page.click(tid('maint-close'));
  });

  it('has no serious accessibility violations on the jobs and repositories tabs', async () => {
    for (const tab of ['repos', 'jobs'] as const) {
      await page.click(tid(`backups-tab-${tab}`));
      await page.locator(`${tid(`backups-tab-${tab}`)}[aria-selected="true"]`).waitFor();
      const violations = await seriousViolations(page);
      expect(violations, `${tab}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
    }
    await page.screenshot({ path: join(artifactsDir(), 'backups-history.png') });
  });
});
