import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDate, formatEta, formatRate, maskKeyId, percent, plural } from './format';

describe('formatBytes', () => {
  it('shows whole bytes below 1 KiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });
  it('uses binary units with up to three significant digits', () => {
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 + 512)).toBe('10.5 KiB');
    expect(formatBytes(150 * 1024 * 1024)).toBe('150 MiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5 GiB');
    expect(formatBytes(2.25 * 1024 ** 4)).toBe('2.25 TiB');
  });
  it('shows a dash for unknown values', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatRate', () => {
  it('is bytes per second', () => {
    expect(formatRate(2.5 * 1024 * 1024)).toBe('2.5 MiB/s');
    expect(formatRate(512)).toBe('512 B/s');
  });
  it('shows a dash when there is no rate', () => {
    expect(formatRate(0)).toBe('—');
    expect(formatRate(null)).toBe('—');
    expect(formatRate(Infinity)).toBe('—');
  });
});

describe('formatEta', () => {
  it('reads like a person would say it', () => {
    expect(formatEta(0)).toBe('0 s');
    expect(formatEta(0.2)).toBe('1 s');
    expect(formatEta(45)).toBe('45 s');
    expect(formatEta(60)).toBe('1 min');
    expect(formatEta(185)).toBe('3 min 5 s');
    expect(formatEta(3600)).toBe('1 h');
    expect(formatEta(2 * 3600 + 600)).toBe('2 h 10 min');
    expect(formatEta(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
  });
  it('shows a dash when unknown', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(-3)).toBe('—');
  });
});

describe('formatDate', () => {
  it('formats RFC 3339 in local time', () => {
    const iso = '2024-05-01T14:03:09Z';
    const d = new Date(iso);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(formatDate(iso)).toBe(
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`,
    );
  });
  it('accepts nanosecond precision as servers send it', () => {
    expect(formatDate('2026-11-29T19:36:27.855382785Z')).toMatch(/^2026-11-(29|30) \d\d:\d\d$/);
  });
  it('shows a dash for missing or bad dates', () => {
    expect(formatDate(null)).toBe('—');
    expect(formatDate('')).toBe('—');
    expect(formatDate('yesterday-ish')).toBe('—');
  });
});

describe('counts and masks', () => {
  it('groups thousands', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(10000)).toBe('10,000');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
  it('pluralizes', () => {
    expect(plural(1, 'item')).toBe('1 item');
    expect(plural(0, 'item')).toBe('0 items');
    expect(plural(10000, 'item')).toBe('10,000 items');
  });
  it('masks access key ids', () => {
    expect(maskKeyId('GK0123456789abcdefTAIL')).toBe('GK01…TAIL');
    expect(maskKeyId('GK31c2f218a2e44f485b94239e')).toBe('GK31…239e');
    expect(maskKeyId('short')).toBe('sh…');
  });
  it('computes a clamped percentage', () => {
    expect(percent(50, 200)).toBe(25);
    expect(percent(300, 200)).toBe(100);
    expect(percent(1, 0)).toBeNull();
  });
});
