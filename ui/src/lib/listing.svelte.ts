// The entries of one prefix, streamed in: page 1 is shown at once, then the next
// pages are fetched in the background and appended. A newer load cancels an older one.

import { tick } from 'svelte';
import type { CofferApi } from './api';
import { entriesOfPage, type Entry } from './entries';
import { toApiError, type ApiError } from './errors';
import { markFirstPagePainted } from './perf';

export interface Place {
  profile: string;
  bucket: string;
  prefix: string;
}

export class Listing {
  /** Everything loaded so far, in server (key) order. */
  entries = $state.raw<Entry[]>([]);
  /** Still fetching pages. */
  loading = $state(false);
  /** The first page has arrived. */
  ready = $state(false);
  error = $state<ApiError | null>(null);
  place = $state.raw<Place | null>(null);

  private generation = 0;

  constructor(private readonly api: CofferApi) {}

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
    let first = true;
    await this.pages(place, stale, async (added) => {
      this.entries = first ? added : this.entries.concat(added);
      if (first) {
        first = false;
        this.ready = true;
        if (measure) {
          await tick();
          markFirstPagePainted();
        }
      }
    });
  }

  /** Lists the same place again (after a change), swapping the entries in at the end
   * so the view does not jump. */
  async reload(): Promise<void> {
    const place = this.place;
    if (!place) return;
    const generation = ++this.generation;
    const stale = () => generation !== this.generation;
    this.loading = true;
    this.error = null;
    let all: Entry[] = [];
    await this.pages(place, stale, (added) => {
      all = all.concat(added);
    });
    if (!stale() && !this.error) this.entries = all;
  }

  private async pages(
    place: Place,
    stale: () => boolean,
    onPage: (added: Entry[]) => void | Promise<void>,
  ): Promise<void> {
    let continuation: string | null = null;
    try {
      do {
        const page = await this.api.listObjects(place.profile, place.bucket, place.prefix, { continuation });
        if (stale()) return;
        await onPage(entriesOfPage(page, place.prefix));
        continuation = page.next_token;
      } while (continuation && !stale());
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
  }
}
