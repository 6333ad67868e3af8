// The browser's search: the box and filters become the query, the matches stream into
// the results, and a newer search stops the one running.
import { describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { ApiError } from './errors';
import { IndexSearch } from './search.svelte';
import type { Transport } from './transport';

const line = (key: string) => JSON.stringify({ key, size: 1, last_modified: null, etag: null, storage_class: null }) + '\n';
const done = (matches: number) =>
  JSON.stringify({ done: true, matches, scanned: 6, truncated: false, as_of: '2024-05-10T11:58:00Z', elapsed_ms: 2 }) + '\n';

/** Streams `bodies[q]` for each search, one chunk per line; a search for `slow` waits
 * until it is aborted. */
function transport(bodies: Record<string, string[]>, seen: Record<string, string>[]): Transport {
  return {
    kind: 'http',
    json: async () => null as never,
    bytes: async () => new ArrayBuffer(0),
    subscribe: () => () => undefined,
    stream: async (_path, query, onText, signal) => {
      seen.push(query);
      if (query.q === 'slow') {
        await new Promise<void>((_, reject) =>
          signal?.addEventListener('abort', () => reject(new ApiError('cancelled', 'stopped'))),
        );
      }
      for (const chunk of bodies[query.q] ?? []) {
        onText(chunk);
        await new Promise((r) => setTimeout(r, 1));
      }
    },
  };
}

describe('IndexSearch', () => {
  it('makes the query from the box, the folder toggle and the filters, and streams the matches in', async () => {
    const seen: Record<string, string>[] = [];
    const search = new IndexSearch(new CofferApi(transport({ '2024': [line('photos/2024/x.jpg'), line('photos/2024/y.png'), done(2)] }, seen)));
    search.text = ' 2024 ';
    search.onlyFolder = true;
    search.filters = { ...search.filters, larger: 1, largerUnit: 'KiB', withinDays: 2 };
    await search.start('p', 'b', 'photos/');
    expect(seen).toEqual([{ q: '2024', prefix: 'photos/', larger: '1024', newer: '172800', limit: '1000' }]);
    expect(search.results.map((m) => m.key)).toEqual(['photos/2024/x.jpg', 'photos/2024/y.png']);
    expect(search.summary).toMatchObject({ matches: 2, scanned: 6 });
    expect(search.running).toBe(false);
    expect(search.open).toBe(true);
    expect(search.run?.filters).toEqual(['larger than 1 KiB', 'modified within 2 days']);
    search.close();
    expect(search.open).toBe(false);
    expect(search.results).toEqual([]);
    expect(search.text).toBe(' 2024 ');
  });

  it('stops a search that a newer one replaces, without an error', async () => {
    const seen: Record<string, string>[] = [];
    const search = new IndexSearch(new CofferApi(transport({ jpg: [line('top.jpg'), done(1)] }, seen)));
    search.text = 'slow';
    const first = search.start('p', 'b', '');
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    search.text = 'jpg';
    await search.start('p', 'b', '');
    await first;
    expect(search.error).toBeNull();
    expect(search.results.map((m) => m.key)).toEqual(['top.jpg']);
    expect(search.run?.query.q).toBe('jpg');
  });

  it('shows why a search failed', async () => {
    const search = new IndexSearch(
      new CofferApi(transport({ bad: ['{"code":"bad_request","message":"the glob [ is not closed"}\n'] }, [])),
    );
    search.text = 'bad';
    await search.start('p', 'b', '');
    expect(search.error).toBe('the glob [ is not closed');
    expect(search.running).toBe(false);
  });
});
