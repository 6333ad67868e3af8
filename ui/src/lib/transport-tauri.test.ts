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

  it('reads {stream, data} messages of the api_events channel', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { TauriTransport } = await import('./transport-tauri');
    let channelId: number | null = null;
    mockIPC((cmd, args) => {
      if (cmd === 'api_events') channelId = (args as { onEvent: { id: number } }).onEvent.id;
      return new Promise(() => undefined); // lives as long as the stream
    });
    const events: unknown[] = [];
    let opened = 0;
    const stop = new TauriTransport().subscribe({ onEvent: (e) => events.push(e), onOpen: () => (opened += 1) });
    expect(opened).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(channelId).not.toBeNull();
    // The old shape of a one-off transfer's event: no stream carries it any more.
    const transfer = { id: 't1', kind: 'done', profile: 'p', bucket: 'b', key: 'k', progress: null, error: null };
    const job = { kind: 'paused', job: { id: 'j1', kind: 'download', params: { profile: 'p', bucket: 'b', key: 'k', path: '/d' }, state: 'paused' } };
    const oneoff = { kind: 'done', job: { id: 'o1', kind: 'upload', oneoff: true, params: { profile: 'p', bucket: 'b', key: 'k' }, state: 'done' } };
    const send = (index: number, message: unknown) =>
      (window as unknown as { __TAURI_INTERNALS__: { runCallback(id: number, data: unknown): void } }).__TAURI_INTERNALS__.runCallback(
        channelId as number,
        { index, message },
      );
    send(0, { stream: 'transfer', data: transfer });
    send(1, { stream: 'job', data: job });
    send(2, { stream: 'other', data: job });
    send(3, job); // a bare event (an older shape) is not one
    send(4, { stream: 'job', data: { kind: 'done' } });
    send(5, { stream: 'job', data: transfer });
    send(6, { stream: 'transfer', data: oneoff });
    send(7, { stream: 'job', data: oneoff });
    expect(events).toEqual([
      { stream: 'job', data: job },
      { stream: 'job', data: oneoff },
    ]);
    stop();
    send(8, { stream: 'job', data: job });
    expect(events).toHaveLength(2);
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
