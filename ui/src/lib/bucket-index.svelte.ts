// What this session knows of each bucket's index: its state (read when a bucket is
// opened, followed while it builds), the index settings, the automatic build of a
// bucket opened for the first time, the "too big, index it anyway?" question (asked
// once per bucket per session), and folder sizes (cached per prefix for one state of
// the index). Lives as long as the app (views come and go).

import type { CofferApi } from './api';
import { bucketId, isUsable } from './bucket-index';
import type { FolderSize, IndexInfo, IndexSettings } from './types';

/** How often a building index is asked for its progress. */
const POLL_MS = 1000;
/** Folder sizes asked at once. */
const SIZE_CONCURRENCY = 4;
/** Cached folder sizes before the cache starts over. */
const SIZE_CACHE_MAX = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class BucketIndexes {
  /** Per bucket: its index, `null` for none; absent while unknown. */
  private infos = $state.raw<ReadonlyMap<string, IndexInfo | null>>(new Map());
  /** The index settings, once read (null until then, or when they cannot be read). */
  settings = $state.raw<IndexSettings | null>(null);
  /** Folder sizes by `sizeKey`. */
  private sizes = $state.raw<ReadonlyMap<string, FolderSize>>(new Map());
  /** Per bucket: bumped when Coffer changed or refreshed something in it, so cached
   * folder sizes are asked again. */
  private revisions = new Map<string, number>();
  private asked = new Set<string>();
  private loads = new Map<string, Promise<IndexInfo | null>>();
  private follows = new Map<string, Promise<IndexInfo | null>>();
  private settingsLoad: Promise<IndexSettings | null> | null = null;
  private sizeQueue: { key: string; profile: string; bucket: string; prefix: string }[] = [];
  private sizeWanted = new Set<string>();
  private sizeActive = 0;

  constructor(private readonly api: CofferApi) {}

  /** The bucket's index as last seen; null: none; undefined: not known yet. */
  info(profile: string, bucket: string): IndexInfo | null | undefined {
    return this.infos.get(bucketId(profile, bucket));
  }

  /** Whether the bucket's index can be read now (see `isUsable`). */
  ready(profile: string, bucket: string): boolean {
    return isUsable(this.info(profile, bucket));
  }

  /** Whether a listing should try the index first: not when the bucket is known to have
   * none, nor one that was never complete. Unknown: try (it answers 404 without one). */
  worthTrying(profile: string, bucket: string): boolean {
    const info = this.info(profile, bucket);
    if (info === null) return false;
    if (info && !isUsable(info) && !info.as_of) return false;
    return true;
  }

  set(profile: string, bucket: string, info: IndexInfo | null): void {
    const next = new Map(this.infos);
    next.set(bucketId(profile, bucket), info);
    this.infos = next;
  }

  /** The index list answered 404: there is no ready index after all; learn its state. */
  missed(profile: string, bucket: string): void {
    const info = this.info(profile, bucket);
    if (info === undefined || isUsable(info)) {
      this.set(profile, bucket, null);
      void this.load(profile, bucket).catch(() => undefined);
    }
  }

  /** Reads the bucket's index (null: none); concurrent calls share one request. */
  load(profile: string, bucket: string): Promise<IndexInfo | null> {
    const id = bucketId(profile, bucket);
    let pending = this.loads.get(id);
    if (!pending) {
      pending = this.api
        .bucketIndex(profile, bucket)
        .then((info) => {
          this.set(profile, bucket, info);
          return info;
        })
        .finally(() => this.loads.delete(id));
      this.loads.set(id, pending);
    }
    return pending;
  }

  /** The index settings (read once; null when they cannot be read). */
  loadSettings(): Promise<IndexSettings | null> {
    if (this.settings) return Promise.resolve(this.settings);
    if (!this.settingsLoad) {
      this.settingsLoad = this.api
        .indexSettings()
        .then((s) => (this.settings = s))
        .catch(() => null)
        .finally(() => (this.settingsLoad = null));
    }
    return this.settingsLoad;
  }

  /** Builds (or lists again) the bucket's index, and follows it until it is no longer
   * building; resolves with how it ended. */
  async build(profile: string, bucket: string, force = false): Promise<IndexInfo | null> {
    const info = await this.api.buildIndex(profile, bucket, { force });
    this.set(profile, bucket, info);
    this.bump(profile, bucket);
    return this.follow(profile, bucket);
  }

  /** Asks for the state every second while the index builds; resolves with the state
   * it ends in (or the last one seen when it can no longer be read). */
  follow(profile: string, bucket: string): Promise<IndexInfo | null> {
    const id = bucketId(profile, bucket);
    let pending = this.follows.get(id);
    if (!pending) {
      pending = (async () => {
        let info = this.info(profile, bucket) ?? null;
        while (info?.state === 'building') {
          await sleep(POLL_MS);
          try {
            info = await this.load(profile, bucket);
          } catch {
            break;
          }
        }
        return info;
      })().finally(() => this.follows.delete(id));
      this.follows.set(id, pending);
    }
    return pending;
  }

  /** On opening a bucket: reads its index; with none and the settings' `auto`, starts a
   * build (not forced). Resolves with the state it ends in (a build is followed). */
  async opened(profile: string, bucket: string): Promise<IndexInfo | null> {
    let info = this.info(profile, bucket);
    if (info === undefined || info?.state !== 'building') info = await this.load(profile, bucket);
    if (info?.state === 'building') return this.follow(profile, bucket);
    if (info !== null) return info;
    const settings = await this.loadSettings();
    if (!settings?.auto) return null;
    return this.build(profile, bucket, false);
  }

  /** Forgets the index (and what is cached of it). */
  async forget(profile: string, bucket: string): Promise<void> {
    await this.api.forgetIndex(profile, bucket);
    this.set(profile, bucket, null);
    this.bump(profile, bucket);
  }

  /** True the first time it is asked for a bucket in this session: whether to ask the
   * user about indexing a bucket above the limit. */
  firstAsk(profile: string, bucket: string): boolean {
    const id = bucketId(profile, bucket);
    if (this.asked.has(id)) return false;
    this.asked.add(id);
    return true;
  }

  // --- folder sizes ----------------------------------------------------------------

  /** Coffer changed or refreshed something in the bucket: folder sizes are asked again. */
  bump(profile: string, bucket: string): void {
    const id = bucketId(profile, bucket);
    this.revisions.set(id, (this.revisions.get(id) ?? 0) + 1);
    const mine = `${id}\n`;
    this.sizes = new Map([...this.sizes].filter(([key]) => !key.startsWith(mine)));
  }

  private sizeKey(profile: string, bucket: string, prefix: string): string | null {
    const info = this.info(profile, bucket);
    if (!info || !isUsable(info)) return null;
    const id = bucketId(profile, bucket);
    return `${id}\n${info.as_of ?? ''}\n${this.revisions.get(id) ?? 0}\n${prefix}`;
  }

  /** The size of a folder, if known for the index as it is now. */
  size(profile: string, bucket: string, prefix: string): FolderSize | undefined {
    const key = this.sizeKey(profile, bucket, prefix);
    return key === null ? undefined : this.sizes.get(key);
  }

  /** Asks for the sizes of these folders (the visible ones), a few at a time; sizes
   * already known or asked are not asked again. Nothing without a ready index. */
  want(profile: string, bucket: string, prefixes: readonly string[]): void {
    for (const prefix of prefixes) {
      const key = this.sizeKey(profile, bucket, prefix);
      if (key === null || this.sizes.has(key) || this.sizeWanted.has(key)) continue;
      this.sizeWanted.add(key);
      this.sizeQueue.push({ key, profile, bucket, prefix });
    }
    this.pump();
  }

  /** Forgets the sizes not asked yet (the user scrolled or left). */
  dropWanted(): void {
    for (const item of this.sizeQueue) this.sizeWanted.delete(item.key);
    this.sizeQueue = [];
  }

  private pump(): void {
    while (this.sizeActive < SIZE_CONCURRENCY && this.sizeQueue.length) {
      const item = this.sizeQueue.shift()!;
      this.sizeActive += 1;
      this.api
        .folderSize(item.profile, item.bucket, item.prefix)
        .then((size) => {
          const next = new Map(this.sizes.size > SIZE_CACHE_MAX ? [] : this.sizes);
          next.set(item.key, size);
          this.sizes = next;
        })
        .catch(() => undefined)
        .finally(() => {
          this.sizeWanted.delete(item.key);
          this.sizeActive -= 1;
          this.pump();
        });
    }
  }
}
