// What the session knows of each bucket's index: opening a bucket without one builds it
// when the settings say so (and follows the build), a bucket above the limit is asked
// about once, and folder sizes are asked for once per state of the index.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CofferApi } from './api';
import { BucketIndexes } from './bucket-index.svelte';
import { ApiError } from './errors';
import type { JsonRequest, Transport } from './transport';
import type { IndexInfo, IndexSettings } from './types';

const info = (state: IndexInfo['state'], patch: Partial<IndexInfo> = {}): IndexInfo => ({
  profile: 'p',
  bucket: 'b',
  state,
  objects: 6,
  bytes: 60,
  built_at: state === 'ready' ? '2024-05-10T11:58:00Z' : null,
  as_of: state === 'ready' ? '2024-05-10T11:58:00Z' : null,
  error: null,
  progress: state === 'building' ? 3 : null,
  ...patch,
});

class Server implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  settings: IndexSettings = { auto: true, auto_limit: 200_000, refresh_minutes: 15 };
  current: IndexInfo | null = null;
  /** States the GETs answer, one by one, after a build starts. */
  next: IndexInfo[] = [];
  async json<T>(r: JsonRequest): Promise<T> {
    this.requests.push(r);
    const path = r.path.replace('/api/v1/profiles/p/buckets/b', '');
    if (path === '/api/v1/settings/index') return this.settings as T;
    if (path === '/index' && r.method === 'POST') {
      this.current = info('building');
      return this.current as T;
    }
    if (path === '/index' && r.method === 'GET') {
      if (this.current && this.next.length) this.current = this.next.shift()!;
      if (!this.current) throw new ApiError('not_found', 'no index', 404);
      return this.current as T;
    }
    if (path === '/index/size') return { objects: 2, bytes: 20, as_of: '2024-05-10T11:58:00Z' } as T;
    throw new Error(`unexpected ${r.method} ${r.path}`);
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(): () => void {
    return () => undefined;
  }
  routes(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path.replace('/api/v1/profiles/p/buckets/b', '')}`);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BucketIndexes', () => {
  it('builds the index of a bucket opened without one, and follows it until ready', async () => {
    vi.useFakeTimers();
    const server = new Server();
    server.next = [info('building', { progress: 5 }), info('ready')];
    const indexes = new BucketIndexes(new CofferApi(server));
    expect(indexes.worthTrying('p', 'b')).toBe(true);
    const opened = indexes.opened('p', 'b');
    await vi.advanceTimersByTimeAsync(0);
    expect(indexes.info('p', 'b')?.state).toBe('building');
    expect(indexes.worthTrying('p', 'b')).toBe(false);
    await vi.advanceTimersByTimeAsync(2500);
    expect((await opened)?.state).toBe('ready');
    expect(indexes.ready('p', 'b')).toBe(true);
    expect(server.routes()).toEqual([
      'GET /index',
      'GET /api/v1/settings/index',
      'POST /index',
      'GET /index',
      'GET /index',
    ]);
    expect(server.requests[2].body).toEqual({});
  });

  it('does not build when automatic indexing is off', async () => {
    const server = new Server();
    server.settings = { ...server.settings, auto: false };
    const indexes = new BucketIndexes(new CofferApi(server));
    expect(await indexes.opened('p', 'b')).toBeNull();
    expect(indexes.info('p', 'b')).toBeNull();
    expect(indexes.worthTrying('p', 'b')).toBe(false);
    expect(server.routes()).toEqual(['GET /index', 'GET /api/v1/settings/index']);
  });

  it('reports a build stopped at the limit, and asks about it once per session', async () => {
    vi.useFakeTimers();
    const server = new Server();
    server.next = [info('too_big', { objects: 200_000 })];
    const indexes = new BucketIndexes(new CofferApi(server));
    const opened = indexes.opened('p', 'b');
    await vi.advanceTimersByTimeAsync(1500);
    expect((await opened)?.state).toBe('too_big');
    expect(indexes.firstAsk('p', 'b')).toBe(true);
    expect(indexes.firstAsk('p', 'b')).toBe(false);
    expect(indexes.firstAsk('p', 'other')).toBe(true);
  });

  it('asks each folder size once for one state of the index, and again after a change', async () => {
    const server = new Server();
    server.current = info('ready');
    const indexes = new BucketIndexes(new CofferApi(server));
    indexes.want('p', 'b', ['docs/']);
    expect(server.requests).toEqual([]); // no ready index known yet
    await indexes.load('p', 'b');
    indexes.want('p', 'b', ['docs/', 'photos/']);
    indexes.want('p', 'b', ['docs/']);
    await vi.waitFor(() => expect(indexes.size('p', 'b', 'photos/')).toBeDefined());
    expect(indexes.size('p', 'b', 'docs/')).toMatchObject({ objects: 2, bytes: 20 });
    expect(server.routes().filter((r) => r.endsWith('/index/size'))).toHaveLength(2);
    indexes.bump('p', 'b');
    expect(indexes.size('p', 'b', 'docs/')).toBeUndefined();
    indexes.want('p', 'b', ['docs/']);
    await vi.waitFor(() => expect(indexes.size('p', 'b', 'docs/')).toBeDefined());
    expect(server.routes().filter((r) => r.endsWith('/index/size'))).toHaveLength(3);
  });
});
