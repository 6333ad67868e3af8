// The browser's search of the whole bucket (or the open folder) through its index:
// the pattern and filters as typed, the matches as they stream in (shown in batches so
// a long stream does not redraw per line), the summary, and stopping a search that a
// newer one replaces.

import type { CofferApi } from './api';
import { SEARCH_LIMIT, describeFilters, filtersQuery, isCancelled, noFilters, type SearchFilters } from './bucket-index';
import { describeError } from './errors';
import type { ObjectSummary, SearchQuery, SearchSummary } from './types';

/** How often streamed matches are shown. */
const FLUSH_MS = 60;

/** What a shown result list was asked. */
export interface SearchRun {
  profile: string;
  bucket: string;
  query: SearchQuery;
  /** The filters in words. */
  filters: string[];
}

export class IndexSearch {
  /** The pattern as typed. */
  text = $state('');
  /** Only under the open folder. */
  onlyFolder = $state(false);
  filters = $state<SearchFilters>({ ...noFilters });
  /** The filter row is open. */
  showFilters = $state(false);
  /** The results replace the folder's rows. */
  open = $state(false);
  /** The search waits for the bucket's index. */
  waiting = $state(false);
  results = $state.raw<ObjectSummary[]>([]);
  summary = $state.raw<SearchSummary | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  run = $state.raw<SearchRun | null>(null);

  private controller: AbortController | null = null;
  private generation = 0;

  constructor(private readonly api: CofferApi) {}

  /** The filters set, in words. */
  get filterWords(): string[] {
    return describeFilters(this.filters);
  }

  /** The query for the box and filters as they are now. */
  query(prefix: string): SearchQuery {
    return {
      q: this.text.trim(),
      prefix: this.onlyFolder ? prefix : '',
      ...filtersQuery(this.filters),
      limit: SEARCH_LIMIT,
    };
  }

  /** Searches (replacing any search running); the matches stream into `results`. */
  async start(profile: string, bucket: string, prefix: string): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    const stale = () => generation !== this.generation;
    const controller = new AbortController();
    this.controller = controller;
    const query = this.query(prefix);
    this.open = true;
    this.waiting = false;
    this.run = { profile, bucket, query, filters: this.filterWords };
    this.results = [];
    this.summary = null;
    this.error = null;
    this.running = true;
    let buffer: ObjectSummary[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      if (stale() || buffer.length === 0) return;
      this.results = this.results.concat(buffer);
      buffer = [];
    };
    try {
      const summary = await this.api.searchIndex(
        profile,
        bucket,
        query,
        (match) => {
          buffer.push(match);
          timer ??= setTimeout(flush, FLUSH_MS);
        },
        controller.signal,
      );
      clearTimeout(timer);
      flush();
      if (!stale()) this.summary = summary;
    } catch (e) {
      clearTimeout(timer);
      if (stale() || isCancelled(e)) return;
      flush();
      this.error = describeError(e);
    } finally {
      if (!stale()) {
        this.running = false;
        this.controller = null;
      }
    }
  }

  /** Shows the results area waiting for the bucket's index (no search yet). */
  wait(): void {
    this.stop();
    this.open = true;
    this.waiting = true;
    this.results = [];
    this.summary = null;
    this.error = null;
    this.run = null;
  }

  /** Stops a running search (its matches so far stay). */
  stop(): void {
    this.generation++;
    this.controller?.abort();
    this.controller = null;
    this.running = false;
  }

  /** Back to the folder. The pattern and filters stay for next time. */
  close(): void {
    this.stop();
    this.open = false;
    this.waiting = false;
    this.results = [];
    this.summary = null;
    this.error = null;
    this.run = null;
  }
}
