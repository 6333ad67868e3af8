import { describe, expect, it } from 'vitest';
import { back, canBack, canForward, current, emptyHistory, forward, push } from './history';

const at = (prefix: string) => ({ profile: 'p', bucket: 'b', prefix });

describe('history', () => {
  it('goes back and forward', () => {
    let h = push(push(push(emptyHistory, at('')), at('a/')), at('a/b/'));
    expect(canForward(h)).toBe(false);
    h = back(h);
    expect(current(h)?.prefix).toBe('a/');
    expect(canForward(h)).toBe(true);
    h = forward(h);
    expect(current(h)?.prefix).toBe('a/b/');
  });
  it('a new place drops the forward entries', () => {
    let h = push(push(emptyHistory, at('')), at('a/'));
    h = push(back(h), at('c/'));
    expect(h.entries.map((e) => e.prefix)).toEqual(['', 'c/']);
    expect(canForward(h)).toBe(false);
  });
  it('the same place twice is one entry', () => {
    const h = push(push(emptyHistory, at('x/')), at('x/'));
    expect(h.entries).toHaveLength(1);
  });
  it('stays put at the ends', () => {
    const h = push(emptyHistory, at(''));
    expect(canBack(h)).toBe(false);
    expect(back(h)).toBe(h);
    expect(forward(h)).toBe(h);
  });
  it('is bounded', () => {
    let h = emptyHistory;
    for (let i = 0; i < 10; i++) h = push(h, at(`${i}/`), 5);
    expect(h.entries).toHaveLength(5);
    expect(current(h)?.prefix).toBe('9/');
  });
});
