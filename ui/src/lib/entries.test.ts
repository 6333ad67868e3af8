import { describe, expect, it } from 'vitest';
import { entriesOfPage, filterEntries, sortEntries, toggleSort, type Entry } from './entries';
import type { ListPage } from './types';

const page: ListPage = {
  common_prefixes: ['docs/Zeta/', 'docs/alpha/'],
  objects: [
    { key: 'docs/', size: 0, last_modified: null, etag: null, storage_class: null },
    { key: 'docs/b.txt', size: 300, last_modified: '2024-03-01T00:00:00Z', etag: 'e1', storage_class: null },
    { key: 'docs/A.txt', size: 20, last_modified: '2024-01-01T00:00:00Z', etag: 'e2', storage_class: 'GLACIER' },
    { key: 'docs/c 1+%.txt', size: 1000, last_modified: 'bad', etag: null, storage_class: null },
  ],
  next_token: null,
};

const names = (es: readonly Entry[]) => es.map((e) => e.name);

describe('entriesOfPage', () => {
  it('makes folders and objects relative to the prefix, without the folder marker', () => {
    const es = entriesOfPage(page, 'docs/');
    expect(names(es)).toEqual(['Zeta', 'alpha', 'b.txt', 'A.txt', 'c 1+%.txt']);
    expect(es[0]).toMatchObject({ key: 'docs/Zeta/', folder: true, size: null });
    expect(es[3]).toMatchObject({ key: 'docs/A.txt', folder: false, size: 20, storageClass: 'GLACIER' });
    expect(es[4].modifiedMs).toBe(0);
  });
  it('keeps empty names of "//" keys', () => {
    const es = entriesOfPage({ common_prefixes: ['a//'], objects: [], next_token: null }, 'a/');
    expect(es[0]).toMatchObject({ key: 'a//', name: '', folder: true });
  });
});

describe('sortEntries', () => {
  const es = entriesOfPage(page, 'docs/');
  it('puts folders first, then names case-insensitively', () => {
    expect(names(sortEntries(es, { field: 'name', descending: false }))).toEqual(['alpha', 'Zeta', 'A.txt', 'b.txt', 'c 1+%.txt']);
    expect(names(sortEntries(es, { field: 'name', descending: true }))).toEqual(['Zeta', 'alpha', 'c 1+%.txt', 'b.txt', 'A.txt']);
  });
  it('sorts by size and by date', () => {
    expect(names(sortEntries(es, { field: 'size', descending: true })).slice(2)).toEqual(['c 1+%.txt', 'b.txt', 'A.txt']);
    expect(names(sortEntries(es, { field: 'modified', descending: false })).slice(2)).toEqual(['c 1+%.txt', 'A.txt', 'b.txt']);
  });
  it('does not change its input', () => {
    const before = names(es);
    sortEntries(es, { field: 'size', descending: false });
    expect(names(es)).toEqual(before);
  });
  it('header clicks toggle the direction, new fields start sensibly', () => {
    expect(toggleSort({ field: 'name', descending: false }, 'name')).toEqual({ field: 'name', descending: true });
    expect(toggleSort({ field: 'name', descending: false }, 'size')).toEqual({ field: 'size', descending: true });
    expect(toggleSort({ field: 'size', descending: true }, 'name')).toEqual({ field: 'name', descending: false });
  });
});

describe('filterEntries', () => {
  const es = entriesOfPage(page, 'docs/');
  it('matches names case-insensitively', () => {
    expect(names(filterEntries(es, 'A'))).toEqual(['Zeta', 'alpha', 'A.txt']);
    expect(names(filterEntries(es, '1+%'))).toEqual(['c 1+%.txt']);
  });
  it('returns the same array for an empty filter', () => {
    expect(filterEntries(es, '  ')).toBe(es);
  });
});
