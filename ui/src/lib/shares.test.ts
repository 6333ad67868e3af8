// Share links: the client's routes (presign's answer, the list, copy again, forget),
// the Share dialog's expiry (presets, custom durations refused below 1 second and past
// 7 days before anything is sent), and the Shares page's order and words.
import { describe, expect, it } from 'vitest';
import { CofferApi } from './api';
import { formatDate } from './format';
import {
  DEFAULT_EXPIRY_SECS,
  EXPIRY_PRESETS,
  MAX_EXPIRY_SECS,
  REVOCATION_NOTE,
  customExpiry,
  expiryLabel,
  isExpired,
  methodLabel,
  orderShares,
  shareObject,
  shareTime,
  viaLabel,
} from './shares';
import type { JsonRequest, Transport } from './transport';
import type { Share } from './types';

class Recorder implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  constructor(private readonly answer: unknown = null) {}
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    return this.answer as T;
  }
  async bytes(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

const NOW = Date.parse('2024-05-10T12:00:00Z');
const iso = (offsetSecs: number) => new Date(NOW + offsetSecs * 1000).toISOString();

function share(id: string, createdOffset: number, expiresSecs: number, patch: Partial<Share> = {}): Share {
  return {
    id,
    profile: 'p',
    bucket: 'b',
    key: `k/${id}.txt`,
    method: 'GET',
    created_at: iso(createdOffset),
    expires_at: iso(createdOffset + expiresSecs),
    expires_secs: expiresSecs,
    expired: createdOffset + expiresSecs <= 0,
    via: 'cli',
    ...patch,
  };
}

describe('share routes', () => {
  it('presigns a GET by default, and PUT when asked, with the lifetime', async () => {
    const t = new Recorder({ url: 'u', expires_secs: 60, expires_at: iso(60), share_id: 's1' });
    const api = new CofferApi(t);
    const answer = await api.presign('my p', 'bkt', 'a b/ü+%.txt', 60);
    await api.presign('p', 'b', 'k', 3600, 'PUT');
    expect(answer.share_id).toBe('s1');
    expect(t.requests).toEqual([
      { method: 'POST', path: '/api/v1/profiles/my%20p/buckets/bkt/presign', body: { key: 'a b/ü+%.txt', method: 'GET', expires_secs: 60 }, query: undefined },
      { method: 'POST', path: '/api/v1/profiles/p/buckets/b/presign', body: { key: 'k', method: 'PUT', expires_secs: 3600 }, query: undefined },
    ]);
  });

  it('lists the records, copies one again and forgets one; ids are path segments', async () => {
    const list = [share('a', -60, 3600)];
    const t = new Recorder({ shares: list });
    const api = new CofferApi(t);
    expect(await api.shares()).toEqual(list);
    await api.shareUrl('x/y z');
    await api.forgetShare('x/y z');
    expect(t.requests).toEqual([
      { method: 'GET', path: '/api/v1/shares', query: undefined },
      { method: 'POST', path: '/api/v1/shares/x%2Fy%20z/url', body: undefined, query: undefined },
      { method: 'DELETE', path: '/api/v1/shares/x%2Fy%20z', body: undefined, query: undefined },
    ]);
  });
});

describe('the expiry of a new link', () => {
  it('offers 1 hour first, and presets up to 7 days', () => {
    expect(DEFAULT_EXPIRY_SECS).toBe(3600);
    expect(EXPIRY_PRESETS.map(([s]) => s)).toEqual([3600, 86400, 604800]);
    expect(EXPIRY_PRESETS[0][0]).toBe(DEFAULT_EXPIRY_SECS);
    expect(MAX_EXPIRY_SECS).toBe(604800);
  });

  it('takes a custom duration in any unit, in whole seconds', () => {
    expect(customExpiry(90, 'minutes')).toEqual({ secs: 5400, error: null });
    expect(customExpiry('1.5', 'hours')).toEqual({ secs: 5400, error: null });
    expect(customExpiry(1, 'seconds')).toEqual({ secs: 1, error: null });
    expect(customExpiry(7, 'days')).toEqual({ secs: 604800, error: null });
    expect(customExpiry(168, 'hours')).toEqual({ secs: 604800, error: null });
    expect(customExpiry(1.4, 'seconds')).toEqual({ secs: 1, error: null });
  });

  it('refuses past 7 days, S3’s maximum, and below 1 second', () => {
    for (const [amount, unit] of [
      [8, 'days'],
      [604801, 'seconds'],
      [169, 'hours'],
      [7.01, 'days'],
    ] as const) {
      const check = customExpiry(amount, unit);
      expect(check.secs).toBeNull();
      expect(check.error).toMatch(/at most 7 days/);
    }
    for (const [amount, unit] of [
      [0, 'seconds'],
      [0.5, 'seconds'],
      [-1, 'hours'],
      [0, 'days'],
    ] as const) {
      const check = customExpiry(amount, unit);
      expect(check.secs).toBeNull();
      expect(check.error).toMatch(/at least 1 second/);
    }
  });

  it('asks for a number when there is none', () => {
    for (const amount of [null, undefined, '', '  ', 'abc', Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(customExpiry(amount, 'hours').error).toBe('Enter how long the link should last.');
    }
  });

  it('names a lifetime', () => {
    expect(expiryLabel(3600)).toBe('1 hour');
    expect(expiryLabel(604800)).toBe('7 days');
    expect(expiryLabel(5400)).toBe('1 h 30 min');
    expect(expiryLabel(1)).toBe('1 s');
  });

  it('says plainly that a link cannot be revoked', () => {
    expect(REVOCATION_NOTE).toBe(
      'A presigned link cannot be revoked before it expires, except by rotating the access key that signed it.',
    );
  });
});

describe('the Shares page', () => {
  it('puts live links first, newest first, then expired ones, the most recently expired first', () => {
    const list = [
      share('old-live', -7200, 86400),
      share('expired-long-ago', -10 * 86400, 3600),
      share('new-live', -60, 3600),
      share('expired-recently', -7200, 3600),
    ];
    expect(orderShares(list, NOW).map((s) => s.id)).toEqual(['new-live', 'old-live', 'expired-recently', 'expired-long-ago']);
    // The input is left alone.
    expect(list[0].id).toBe('old-live');
  });

  it('counts a link whose time passed while the page was open as expired', () => {
    const s = share('a', -3590, 3600);
    expect(s.expired).toBe(false);
    expect(isExpired(s, NOW)).toBe(false);
    expect(isExpired(s, NOW + 10_000)).toBe(true);
    expect(isExpired({ ...s, expired: true }, NOW)).toBe(true);
    const later = [share('b', -60, 3600), s];
    expect(orderShares(later, NOW + 10_000).map((x) => x.id)).toEqual(['b', 'a']);
    expect(orderShares([s, share('c', -3000, 3600)], NOW).map((x) => x.id)).toEqual(['c', 'a']);
  });

  it('keeps equal times in id order, and bad dates last among their kind', () => {
    const a = share('a', -60, 3600);
    const b = { ...share('b', -60, 3600) };
    const bad = { ...share('z', 0, 3600), created_at: 'not a date' };
    expect(orderShares([b, bad, a], NOW).map((x) => x.id)).toEqual(['a', 'b', 'z']);
  });

  it('words who made it, the method, the object and its times', () => {
    expect(viaLabel('cli')).toBe('command line');
    expect(viaLabel('desktop')).toBe('desktop app');
    expect(viaLabel('web')).toBe('web UI');
    expect(viaLabel('api')).toBe('API');
    expect(viaLabel('robot')).toBe('robot');
    expect(viaLabel('')).toBe('—');
    expect(methodLabel('GET')).toBe('GET (download)');
    expect(methodLabel('PUT')).toBe('PUT (upload)');
    expect(shareObject({ bucket: 'b', key: 'a//b c.txt' })).toBe('b/a//b c.txt');
    expect(shareTime(iso(2 * 3600), NOW)).toEqual({ relative: 'in 2 h', absolute: formatDate(iso(2 * 3600)) });
    expect(shareTime(iso(-3 * 3600), NOW)).toEqual({ relative: '3 h ago', absolute: formatDate(iso(-3 * 3600)) });
    expect(shareTime('bad', NOW)).toEqual({ relative: '', absolute: '—' });
  });
});
