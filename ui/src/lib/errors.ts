// One error type for every failure the UI shows: `{code, message}`, never a stack.

export class ApiError extends Error {
  readonly code: string;
  readonly status: number | null;

  constructor(code: string, message: string, status: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

function isErrorBody(v: unknown): v is { code: string; message: string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { code?: unknown }).code === 'string' &&
    typeof (v as { message?: unknown }).message === 'string'
  );
}

/** Whatever was thrown, as an ApiError with a readable message. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (isErrorBody(e)) return new ApiError(e.code, e.message);
  if (e instanceof DOMException && e.name === 'AbortError') {
    return new ApiError('cancelled', 'The operation was cancelled.');
  }
  if (e instanceof TypeError) {
    // fetch() rejects with a TypeError when the server cannot be reached.
    return new ApiError('network', `Cannot reach the Coffer API: ${e.message}`);
  }
  if (e instanceof Error) return new ApiError('error', e.message);
  if (typeof e === 'string') {
    // Tauri may reject with a JSON string.
    try {
      const parsed: unknown = JSON.parse(e);
      if (isErrorBody(parsed)) return new ApiError(parsed.code, parsed.message);
    } catch {
      /* plain text */
    }
    return new ApiError('error', e);
  }
  return new ApiError('error', 'Something went wrong.');
}

/** A message for a toast or a row: one sentence, no stack. */
export function describeError(e: unknown): string {
  return toApiError(e).message;
}
