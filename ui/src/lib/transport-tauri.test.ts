// The Tauri transport against mocked IPC: command names and argument shapes the
// desktop shell expects, errors as {code, message}, and OS drag-and-drop events.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

beforeAll(() => {
  // The mocks and the transport expect a browser `window`.
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(async () => {
  (await import('@tauri-apps/api/mocks')).clearMocks();
});

describe('TauriTransport', () => {
  it('sends api_json with a request object', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { TauriTransport, isTauri } = await import('./transport-tauri');
    const { CofferApi } = await import('./api');
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return { objects: [], common_prefixes: [], next_token: null };
    });
    expect(isTauri()).toBe(true);
    const api = new CofferApi(new TauriTransport());
    await api.listObjects('my p', 'b', 'a b+/', { continuation: 'tok' });
    expect(calls[0][0]).toBe('api_json');
    expect(calls[0][1]).toMatchObject({
      request: {
        method: 'GET',
        path: '/api/v1/profiles/my%20p/buckets/b/objects',
        query: { prefix: 'a b+/', continuation: 'tok' },
      },
    });
    await api.move('p', 'b', { key: 'x', target_key: 'y', recursive: false });
    expect(calls[1][1]).toMatchObject({
      request: { method: 'POST', path: '/api/v1/profiles/p/buckets/b/move', body: { key: 'x', target_key: 'y', recursive: false } },
    });
    expect(api.desktop).toBe(true);
  });

  it('rejects with an ApiError carrying the code and message', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { TauriTransport } = await import('./transport-tauri');
    mockIPC(() => Promise.reject({ code: 'no_such_bucket', message: 'No bucket b.' }));
    await expect(new TauriTransport().json({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'no_such_bucket',
      message: 'No bucket b.',
    });
  });

  it('asks api_bytes for a range and takes numbers or a buffer', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { TauriTransport } = await import('./transport-tauri');
    let seen: unknown;
    mockIPC((_cmd, args) => {
      seen = args;
      return [104, 105];
    });
    const bytes = await new TauriTransport().bytes('/api/v1/profiles/p/buckets/b/object', { key: 'k' }, 1023);
    expect(seen).toEqual({ request: { path: '/api/v1/profiles/p/buckets/b/object', query: { key: 'k' }, rangeEnd: 1023 } });
    expect(new TextDecoder().decode(bytes)).toBe('hi');
  });

  it('opens the native folder dialog', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { chooseFolder } = await import('./transport-tauri');
    mockIPC((cmd) => (cmd === 'choose_folder' ? '/home/me/Downloads' : null));
    expect(await chooseFolder()).toBe('/home/me/Downloads');
  });

  it('hears OS drag-and-drop through the tauri:// events', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { emit } = await import('@tauri-apps/api/event');
    const { listenNativeDrag } = await import('./transport-tauri');
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: string[] = [];
    const off = await listenNativeDrag((d) => seen.push(`${d.kind}:${d.paths.join(',')}`));
    await emit('tauri://drag-enter', { paths: ['/a'], position: { x: 1, y: 2 } });
    await emit('tauri://drag-drop', { paths: ['/a', '/b dir'], position: { x: 1, y: 2 } });
    await emit('tauri://drag-leave', null);
    expect(seen).toEqual(['enter:/a', 'drop:/a,/b dir', 'leave:']);
    off();
  });
});
