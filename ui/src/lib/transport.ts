// What the API client needs from a transport: JSON calls, the first bytes of an
// object, and the event stream. Two implementations: Tauri IPC and HTTP.

import type { ApiEvent, JobEvent } from './types';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** The header naming the server's one-off job of a request (a browser upload, a
 * restore), so the job's events can be told apart. */
export const JOB_ID_HEADER = 'x-coffer-job-id';

export interface JsonRequest {
  method: Method;
  /** `/api/v1/...`, path segments already encoded. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Extra request headers (`x-coffer-job-id`). HTTP sends them; the desktop's IPC
   * command has no headers, so they are a hint a route must do without. */
  headers?: Record<string, string>;
}

export interface EventHandlers {
  onEvent(event: ApiEvent): void;
  /** The stream (re)connected: events may have been missed, reload state. */
  onOpen?(): void;
}

export interface Transport {
  readonly kind: 'tauri' | 'http';
  /** The parsed JSON answer (null for 204); rejects with an ApiError. */
  json<T>(request: JsonRequest): Promise<T>;
  /** Bytes 0..=rangeEnd of an object (all of it without rangeEnd). */
  bytes(path: string, query: Record<string, string>, rangeEnd?: number): Promise<ArrayBuffer>;
  /** Streams events until the returned function is called. */
  subscribe(handlers: EventHandlers): () => void;
  /** A GET whose body is read as it arrives (NDJSON): `onText` gets each decoded chunk;
   * resolves at the end of the body, rejects with an ApiError (a `cancelled` one when
   * `signal` aborts). Absent where bodies only come whole (the desktop's IPC): callers
   * then read the body with `bytes`. */
  stream?(path: string, query: Record<string, string>, onText: (text: string) => void, signal?: AbortSignal): Promise<void>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A job event from the stream named `stream` (the SSE event name, or the `stream` of
 * a Tauri channel message: `job`, the only stream), or null for any other name and for
 * malformed data. */
export function apiEventOf(stream: unknown, data: unknown): ApiEvent | null {
  if (stream !== 'job' || !isObject(data) || typeof data.kind !== 'string') return null;
  if (!isObject(data.job) || typeof data.job.id !== 'string') return null;
  return { stream: 'job', data: data as unknown as JobEvent };
}
