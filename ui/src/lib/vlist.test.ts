import { describe, expect, it } from 'vitest';
import { pageSize, scrollToReveal, visibleWindow } from './vlist';

describe('visibleWindow', () => {
  it('is empty for no rows', () => {
    expect(visibleWindow(0, 30, 0, 600)).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });
  it('renders the rows in view plus the overscan at the top', () => {
    const w = visibleWindow(100_000, 30, 0, 600, 10);
    expect(w.start).toBe(0);
    expect(w.end).toBe(21 + 10); // 20 rows in view, one partly, then the overscan
    expect(w.total).toBe(3_000_000);
  });
  it('follows the scroll position', () => {
    const w = visibleWindow(100_000, 30, 30 * 5000, 600, 10);
    expect(w.start).toBe(4990);
    expect(w.end).toBe(5000 + 21 + 10);
    expect(w.offset).toBe(4990 * 30);
  });
  it('clamps at the end', () => {
    const w = visibleWindow(100_000, 30, 1e12, 600, 10);
    expect(w.end).toBe(100_000);
    expect(w.end - w.start).toBeLessThan(200);
  });
  it('keeps under 200 rows whatever the position for 100,000 entries', () => {
    for (const top of [0, 12345, 1_500_000, 2_999_400]) {
      const w = visibleWindow(100_000, 30, top, 900, 10);
      expect(w.end - w.start).toBeLessThan(200);
      expect(w.start * 30).toBeLessThanOrEqual(top);
    }
  });
  it('shows every row of a short list', () => {
    expect(visibleWindow(5, 30, 0, 600)).toMatchObject({ start: 0, end: 5 });
  });
});

describe('scrollToReveal', () => {
  it('does nothing for a visible row', () => {
    expect(scrollToReveal(3, 30, 0, 600)).toBeNull();
  });
  it('scrolls up to a row above', () => {
    expect(scrollToReveal(10, 30, 600, 600)).toBe(300);
  });
  it('scrolls down so the row is at the bottom, under a sticky header', () => {
    expect(scrollToReveal(50, 30, 0, 630, 30)).toBe(51 * 30 - 600);
  });
});

describe('pageSize', () => {
  it('moves a viewport less one row', () => {
    expect(pageSize(30, 600)).toBe(19);
    expect(pageSize(30, 10)).toBe(1);
  });
});
