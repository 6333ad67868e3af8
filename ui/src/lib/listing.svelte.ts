// The entries of one prefix, streamed in: page 1 is shown at once, then the next
// pages are fetched in the background and appended. A newer load cancels an older one.
// In a bucket with a ready index the pages come from the index (at once, marked with
// its age), then the folder is listed again on the server in the background and the
// rows that changed are merged in, by key, without touching the scroll position or the
// selection. Without an index the server is listed, as always.

import { tick } from 'svelte';
import type { CofferApi } from './api';
import { isNoIndex, laterDate } from './bucket-index';
import { entriesOfPage, mergeEntries, type Entry } from './entries';
import { toApiError, type ApiError } from './errors';
import { markFirstPagePainted } from './perf';
import type { IndexPage, ListPage } from './types';

export interface Place {
  profile: string;
  bucket: string;
  prefix: string;
}

/** Where the shown entries come from: the bucket's index, or the server just now. */
export type ListSource = 'index' | 'live';

/** What a listing needs to know of the bucket's index (BucketIndexes). */
export interface IndexLookup {
  /** Try the index first (false: the bucket is known to have no usable index). */
  worthTrying(profile: string, bucket: string): boolean;
  /** The index answered 404: no ready index. */
  missed(profile: string, bucket: string): void;
  /** Coffer refreshed a folder of the bucket (cached sizes may be stale). */
  bump(profile: string, bucket: string): void;
}

/** The first page from the index: small, so it paints at once. */
export const FIRST_INDEX_PAGE = 1000;
/** Later pages from the index (the most the route gives). */
export const INDEX_PAGE = 10_000;

type Fetch = (token: string | null) => Promise<ListPage | IndexPage>;

export class Listing {
  /** Everything loaded so far, in server (key) order. */
  entries = $state.raw<Entry[]>([]);
  /** Still fetching pages. */
  loading = $state(false);
  /** The first page has arrived. */
  ready = $state(false);
  error = $state<ApiError | null>(null);
  place = $state.raw<Place | null>(null);
  /** Where the entries come from. */
  source = $state<ListSource>('live');
  /** From the index: when it last listed this data (RFC 3339). */
  asOf = $state<string | null>(null);
  /** The folder is being listed on the server to bring the index's rows up to date. */
  refreshing = $state(false);
  /** Why that failed (the index's rows stay). */
  refreshError = $state<string | null>(null);

  private generation = 0;

  constructor(
    private readonly api: CofferApi,
    private readonly index?: IndexLookup,
  ) {}

  /** Lists `place` from scratch, showing page 1 at once. `measure`: mark the first
   * page for the benchmark. */
  async load(place: Place, measure = true): Promise<void> {
    const generation = ++this.generation;
    const stale = () => generation !== this.generation;
    this.place = place;
    this.entries = [];
    this.ready = false;
    this.loading = true;
    this.error = null;
    this.source = 'live';
    this.asOf = null;
    this.refreshing = false;
    this.refreshError = null;
    let first = true;
    const show = async (page: ListPage) => {
      const added = entriesOfPage(page, place.prefix);
      this.entries = first ? added : this.entries.concat(added);
      if (first) {
        first = false;
        this.ready = true;
        if (measure) {
          await tick();
          markFirstPagePainted();
        }
      }
    };

    if (this.index?.worthTrying(place.profile, place.bucket)) {
      let page: IndexPage | null = null;
      try {
        page = await this.api.indexList(place.profile, place.bucket, place.prefix, null, FIRST_INDEX_PAGE);
      } catch (e) {
        // No ready index (or a server without one): list the server instead.
        if (isNoIndex(e)) this.index.missed(place.profile, place.bucket);
      }
      if (stale()) return;
      if (page) {
        this.source = 'index';
        this.asOf = page.as_of;
        await show(page);
        if (stale()) return;
        await this.pages(stale, this.indexFetch(place, INDEX_PAGE), show, page.next_token);
        if (!stale() && !this.error) void this.refresh(place, generation);
        return;
      }
    }
    await this.pages(stale, this.liveFetch(place), show, null, true);
  }

  /** Lists the same place again (after a change, or Refresh). From the index: the
   * folder is listed on the server into the index, then read again. The rows are merged
   * in at the end so the view does not jump. */
  async reload(): Promise<void> {
    const place = this.place;
    if (!place) return;
    const generation = ++this.generation;
    const stale = () => generation !== this.generation;
    this.loading = true;
    this.error = null;
    if (this.source === 'index') {
      this.refreshing = true;
      this.refreshError = null;
      let done = false;
      try {
        const answer = await this.api.refreshFolder(place.profile, place.bucket, place.prefix);
        if (stale()) return;
        const all = await this.readAll(stale, this.indexFetch(place, INDEX_PAGE), false);
        if (stale() || !all) return;
        this.index?.bump(place.profile, place.bucket);
        this.apply(all, answer.as_of);
        done = true;
      } catch (e) {
        if (stale()) return;
        // The index went away (forgotten, rebuilding) or cannot list: list the server.
        if (isNoIndex(e)) this.index?.missed(place.profile, place.bucket);
        this.source = 'live';
        this.asOf = null;
      } finally {
        if (!stale()) this.refreshing = false;
      }
      if (done) {
        this.loading = false;
        return;
      }
    }
    const all = await this.readAll(stale, this.liveFetch(place));
    if (stale()) return;
    if (all) this.apply(all, null);
    this.loading = false;
    this.ready = true;
  }

  /** After the index's pages: the folder listed on the server into the index, then the
   * index read again and merged in (only the rows that changed move). */
  private async refresh(place: Place, generation: number): Promise<void> {
    const stale = () => generation !== this.generation;
    this.refreshing = true;
    this.refreshError = null;
    try {
      const answer = await this.api.refreshFolder(place.profile, place.bucket, place.prefix);
      if (stale()) return;
      // Nothing changed: the rows shown are the server's (no need to read them again).
      if (answer.added + answer.updated + answer.removed === 0) return void this.apply(null, answer.as_of);
      this.index?.bump(place.profile, place.bucket);
      const all = await this.readAll(stale, this.indexFetch(place, INDEX_PAGE), false);
      if (stale() || !all) return;
      this.apply(all, answer.as_of);
    } catch (e) {
      if (stale()) return;
      this.refreshError = toApiError(e).message;
    } finally {
      if (!stale()) this.refreshing = false;
    }
  }

  /** Merges a fresh read of the folder into the entries (only what changed moves). */
  private apply(all: Entry[] | null, asOf: string | null): void {
    if (all) {
      const merged = mergeEntries(this.entries, all);
      if (merged.changed) this.entries = merged.entries;
    }
    if (asOf !== null) this.asOf = laterDate(this.asOf, asOf);
  }

  private indexFetch(place: Place, limit: number): Fetch {
    return (token) => this.api.indexList(place.profile, place.bucket, place.prefix, token, limit);
  }

  private liveFetch(place: Place): Fetch {
    return (continuation) => this.api.listObjects(place.profile, place.bucket, place.prefix, { continuation });
  }

  /** Every page, then the entries; null when stale. `report`: a failure is the
   * listing's error (else it is thrown). */
  private async readAll(stale: () => boolean, fetch: Fetch, report = true): Promise<Entry[] | null> {
    const place = this.place;
    if (!place) return null;
    let all: Entry[] = [];
    let token: string | null = null;
    try {
      do {
        const page = await fetch(token);
        if (stale()) return null;
        all = all.concat(entriesOfPage(page, place.prefix));
        token = page.next_token;
      } while (token);
    } catch (e) {
      if (!report) throw e;
      if (!stale()) this.error = toApiError(e);
      return null;
    }
    return all;
  }

  /** Fetches pages from `token` on (or the first one with `fromStart`), handing each
   * to `onPage`; ends the loading. */
  private async pages(
    stale: () => boolean,
    fetch: Fetch,
    onPage: (page: ListPage) => void | Promise<void>,
    token: string | null,
    fromStart = false,
  ): Promise<void> {
    try {
      while (fromStart || token) {
        fromStart = false;
        const page = await fetch(token);
        if (stale()) return;
        await onPage(page);
        token = page.next_token;
        if (stale()) return;
      }
    } catch (e) {
      if (!stale()) this.error = toApiError(e);
    } finally {
      if (!stale()) {
        this.loading = false;
        this.ready = true;
      }
    }
  }

  /** Stops loading and forgets the entries. */
  clear(): void {
    this.generation++;
    this.place = null;
    this.entries = [];
    this.loading = false;
    this.ready = false;
    this.error = null;
    this.source = 'live';
    this.asOf = null;
    this.refreshing = false;
    this.refreshError = null;
  }
}
