// The HTTP transport with a stubbed fetch: bearer token, {code, message} errors, a
// 401 asking for the token, ranged reads of servers that ignore Range, and the
// event stream read with fetch (reconnecting when it drops).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { onTokenNeeded, setToken } from './auth';
import { HttpTransport } from './transport-http';

const store = new Map<string, string>();

beforeEach(() => {
  store.clear();
  vi.stubGlobal('sessionStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => store.set(k, v),
  });
  setToken('secret-token');
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function sse(chunks: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

describe('HttpTransport', () => {
  it('sends the bearer token and JSON, and parses the answer', async () => {
    const fetch = vi.fn(async () => Response.json({ ok: true }));
    vi.stubGlobal('fetch', fetch);
    const answer = await new HttpTransport().json({ method: 'POST', path: '/api/v1/x', query: { key: 'a b+c' }, body: { n: 1 } });
    expect(answer).toEqual({ ok: true });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/x?key=a%20b%2Bc');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"n":1}');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer secret-token');
  });

  it('gives null for 204 and empty bodies', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })));
    expect(await new HttpTransport().json({ method: 'DELETE', path: '/x' })).toBeNull();
    vi.stubGlobal('fetch', vi.fn(async () => new Response('', { status: 201 })));
    expect(await new HttpTransport().json({ method: 'POST', path: '/x' })).toBeNull();
  });

  it('turns error answers into ApiErrors; a 401 asks for the token', async () => {
    let asked = false;
    const off = onTokenNeeded((needed) => (asked ||= needed));
    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ code: 'unauthorized', message: 'wrong API token' }, { status: 401 })));
    await expect(new HttpTransport().json({ method: 'GET', path: '/x' })).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    expect(asked).toBe(true);
    off();
  });

  it('reads only the asked range when the server sends everything', async () => {
    const fetch = vi.fn(async () => new Response(new Uint8Array(5000)));
    vi.stubGlobal('fetch', fetch);
    const bytes = await new HttpTransport().bytes('/obj', { key: 'k' }, 99);
    expect(bytes.byteLength).toBe(100);
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).Range).toBe('bytes=0-99');
  });

  it('streams job events and reconnects after the stream ends', async () => {
    const job = { kind: 'done', job: { id: 'j1', kind: 'upload', params: { profile: 'p', bucket: 'b', key: 'k', path: '/k' }, state: 'done' } };
    let calls = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        calls += 1;
        return sse([`event: job\ndata: ${JSON.stringify(job).slice(0, 10)}`, `${JSON.stringify(job).slice(10)}\n\n: keep-alive\n\n`]);
      }),
    );
    const events: unknown[] = [];
    let opened = 0;
    const stop = new HttpTransport().subscribe({ onEvent: (e) => events.push(e), onOpen: () => (opened += 1) });
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(2), { timeout: 3000 });
    stop();
    expect(events[0]).toEqual({ stream: 'job', data: job });
    expect(opened).toBeGreaterThanOrEqual(2);
  });

  it('takes `event: job` only (one-off transfers too), and skips other names and malformed data', async () => {
    const oneoff = { kind: 'progress', job: { id: 'local-1', kind: 'upload', oneoff: true, params: { profile: 'p', bucket: 'b', key: 'k' }, state: 'running' } };
    // The old shape of a one-off transfer's event: not a job event.
    const transfer = { id: 't1', kind: 'progress', profile: 'p', bucket: 'b', key: 'k', progress: null, error: null };
    const removed = { kind: 'removed', job: { id: 'j2' } };
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        sse([
          `event: job\ndata: ${JSON.stringify(oneoff)}\n\n`,
          `event: transfer\ndata: ${JSON.stringify(transfer)}\n\n`,
          `event: transfer\ndata: ${JSON.stringify(removed)}\n\n`,
          `event: other\ndata: ${JSON.stringify(removed)}\n\n`,
          'event: job\ndata: {not json\n\n',
          'event: job\ndata: {"kind":"done"}\n\n',
          `event: job\ndata: ${JSON.stringify(transfer)}\n\n`,
          `data: ${JSON.stringify(removed)}\n\n`,
          `event: job\ndata: ${JSON.stringify(removed)}\n\n`,
        ]),
      ),
    );
    const events: unknown[] = [];
    const stop = new HttpTransport().subscribe({ onEvent: (e) => events.push(e) });
    await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(2), { timeout: 3000 });
    stop();
    expect(events.slice(0, 2)).toEqual([
      { stream: 'job', data: oneoff },
      { stream: 'job', data: removed },
    ]);
  });
});
