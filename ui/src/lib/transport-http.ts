// The browser transport: `coffer serve` on the same origin, `Authorization: Bearer`.

import { ApiError, toApiError } from './errors';
import { getToken, onTokenNeeded, requireToken } from './auth';
import { queryString } from './paths';
import { SseParser, backoffDelay } from './sse';
import { apiEventOf, type EventHandlers, type JsonRequest, type Transport } from './transport';

/** The Authorization header, or a 401-like error (and the token form) without a token. */
export function authHeaders(): Record<string, string> {
  const token = getToken();
  if (!token) {
    requireToken();
    throw new ApiError('unauthorized', 'Enter the API token to continue.', 401);
  }
  return { Authorization: `Bearer ${token}` };
}

export function apiUrl(path: string, query?: Record<string, string>): string {
  return path + queryString(query);
}

/** The `{code, message}` of a failed answer, as an ApiError. */
export async function errorOf(response: Response): Promise<ApiError> {
  if (response.status === 401) requireToken();
  const text = await response.text().catch(() => '');
  return errorFromText(response.status, response.statusText, text);
}

export function errorFromText(status: number, statusText: string, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string' && typeof body.message === 'string') {
      return new ApiError(body.code, body.message, status);
    }
  } catch {
    /* not JSON */
  }
  const detail = text.trim().slice(0, 200) || statusText || 'no details';
  return new ApiError(`http_${status}`, `The server answered ${status}: ${detail}`, status);
}

async function call(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw toApiError(e);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** Reads at most `limit` bytes of a body, then stops the download. */
async function readAtMost(response: Response, limit: number): Promise<ArrayBuffer> {
  if (!response.body) return (await response.arrayBuffer()).slice(0, limit);
  const reader = response.body.getReader();
  const out = new Uint8Array(limit);
  let filled = 0;
  while (filled < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    const take = Math.min(value.length, limit - filled);
    out.set(value.subarray(0, take), filled);
    filled += take;
  }
  await reader.cancel().catch(() => undefined);
  return out.buffer.slice(0, filled);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function waitForToken(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const off = onTokenNeeded((needed) => {
      if (!needed) {
        off();
        resolve();
      }
    });
    signal.addEventListener('abort', () => {
      off();
      resolve();
    });
  });
}

async function streamEvents(handlers: EventHandlers, signal: AbortSignal): Promise<void> {
  let attempt = 0;
  while (!signal.aborted) {
    if (!getToken()) {
      await waitForToken(signal);
      continue;
    }
    try {
      const response = await fetch('/api/v1/events', {
        headers: { ...authHeaders(), Accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (response.status === 401) {
        requireToken();
        await waitForToken(signal);
        continue;
      }
      if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
      attempt = 0;
      handlers.onOpen?.();
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          try {
            // `event: job`, the only stream; other names are skipped.
            const event = apiEventOf(message.event, JSON.parse(message.data));
            if (event) handlers.onEvent(event);
          } catch {
            /* a malformed event is skipped */
          }
        }
      }
    } catch {
      /* dropped: reconnect below */
    }
    if (signal.aborted) return;
    await sleep(backoffDelay(attempt++), signal);
  }
}

export class HttpTransport implements Transport {
  readonly kind = 'http' as const;

  async json<T>(request: JsonRequest): Promise<T> {
    const headers: Record<string, string> = { ...request.headers, ...authHeaders(), Accept: 'application/json' };
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const response = await call(apiUrl(request.path, request.query), {
      method: request.method,
      headers,
      body,
    });
    if (response.status === 204) return null as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  async bytes(path: string, query: Record<string, string>, rangeEnd?: number): Promise<ArrayBuffer> {
    const headers: Record<string, string> = authHeaders();
    if (rangeEnd !== undefined) headers.Range = `bytes=0-${rangeEnd}`;
    const response = await call(apiUrl(path, query), { headers });
    // A server that ignores Range sends everything: read only what was asked.
    if (rangeEnd !== undefined && response.status === 200) {
      return readAtMost(response, rangeEnd + 1);
    }
    return response.arrayBuffer();
  }

  async stream(
    path: string,
    query: Record<string, string>,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const headers: Record<string, string> = { ...authHeaders(), Accept: 'application/x-ndjson' };
    const response = await call(apiUrl(path, query), { headers, signal, cache: 'no-store' });
    if (!response.body) {
      const text = await response.text();
      if (text) onText(text);
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value) onText(value);
      }
    } catch (e) {
      await reader.cancel().catch(() => undefined);
      throw toApiError(e);
    }
  }

  subscribe(handlers: EventHandlers): () => void {
    const controller = new AbortController();
    void streamEvents(handlers, controller.signal);
    return () => controller.abort();
  }
}
