import { describe, expect, it } from 'vitest';
import { ApiError, describeError, toApiError } from './errors';
import { errorFromText } from './transport-http';
import { tokenFromHash } from './auth';

describe('errors', () => {
  it('keeps {code, message} bodies (Tauri rejections)', () => {
    const e = toApiError({ code: 'no_such_key', message: 'No such key.' });
    expect(e).toBeInstanceOf(ApiError);
    expect([e.code, e.message]).toEqual(['no_such_key', 'No such key.']);
  });
  it('parses JSON strings and plain strings', () => {
    expect(toApiError('{"code":"x","message":"y"}').message).toBe('y');
    expect(toApiError('plain words').message).toBe('plain words');
  });
  it('turns network failures into a sentence, never a stack', () => {
    expect(toApiError(new TypeError('Failed to fetch')).code).toBe('network');
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError(42)).toBe('Something went wrong.');
  });
  it('reads HTTP error bodies', () => {
    const e = errorFromText(404, 'Not Found', '{"code":"no_such_bucket","message":"No bucket b."}');
    expect([e.code, e.message, e.status]).toEqual(['no_such_bucket', 'No bucket b.', 404]);
    const raw = errorFromText(502, 'Bad Gateway', '<html>proxy</html>');
    expect(raw.code).toBe('http_502');
    expect(raw.message).toContain('502');
  });
});

describe('tokenFromHash', () => {
  it('reads #token=', () => {
    expect(tokenFromHash('#token=abc123')).toBe('abc123');
    expect(tokenFromHash('#x=1&token=a%2Bb')).toBe('a+b');
  });
  it('is null without one', () => {
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
    expect(tokenFromHash('#tokens=1')).toBeNull();
  });
});
