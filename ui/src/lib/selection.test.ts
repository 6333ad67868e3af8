import { describe, expect, it } from 'vitest';
import { clickRow, contextRow, emptySelection, moveFocus, moveTo, reconcile, selectAll } from './selection';

const keys = ['a', 'b', 'c', 'd', 'e'];
const picked = (s: { keys: ReadonlySet<string> }) => [...s.keys].sort();

describe('selection', () => {
  it('a click selects one row', () => {
    const s = clickRow(emptySelection, keys, 2);
    expect(picked(s)).toEqual(['c']);
    expect(s).toMatchObject({ anchor: 2, focus: 2 });
  });
  it('shift+click selects a range from the anchor, both ways', () => {
    let s = clickRow(emptySelection, keys, 1);
    s = clickRow(s, keys, 3, { shift: true });
    expect(picked(s)).toEqual(['b', 'c', 'd']);
    s = clickRow(s, keys, 0, { shift: true });
    expect(picked(s)).toEqual(['a', 'b']);
    expect(s.anchor).toBe(1);
  });
  it('ctrl+click toggles a row', () => {
    let s = clickRow(emptySelection, keys, 0);
    s = clickRow(s, keys, 2, { toggle: true });
    expect(picked(s)).toEqual(['a', 'c']);
    s = clickRow(s, keys, 0, { toggle: true });
    expect(picked(s)).toEqual(['c']);
  });
  it('ctrl+shift+click adds a range', () => {
    let s = clickRow(emptySelection, keys, 0);
    s = clickRow(s, keys, 3, { toggle: true });
    s = clickRow(s, keys, 4, { toggle: true, shift: true });
    expect(picked(s)).toEqual(['a', 'd', 'e']);
  });
  it('right click keeps a selection containing the row', () => {
    let s = clickRow(emptySelection, keys, 0);
    s = clickRow(s, keys, 1, { shift: true });
    expect(picked(contextRow(s, keys, 1))).toEqual(['a', 'b']);
    expect(picked(contextRow(s, keys, 4))).toEqual(['e']);
  });
  it('arrows move the focus and select; shift extends', () => {
    let s = moveFocus(emptySelection, keys, 1);
    expect(picked(s)).toEqual(['a']);
    s = moveFocus(s, keys, 1);
    expect(picked(s)).toEqual(['b']);
    s = moveFocus(s, keys, 2, { shift: true });
    expect(picked(s)).toEqual(['b', 'c', 'd']);
    s = moveFocus(s, keys, 100);
    expect(s.focus).toBe(4);
    expect(moveFocus(emptySelection, keys, -1).focus).toBe(4);
  });
  it('home/end go to the ends', () => {
    expect(moveTo(emptySelection, keys, 99).focus).toBe(4);
    const s = moveTo(clickRow(emptySelection, keys, 2), keys, 0, { shift: true });
    expect(picked(s)).toEqual(['a', 'b', 'c']);
  });
  it('select all', () => {
    expect(picked(selectAll(keys, emptySelection))).toEqual(keys);
  });
  it('an empty list selects nothing', () => {
    expect(moveFocus(emptySelection, [], 1)).toBe(emptySelection);
    expect(clickRow(emptySelection, [], 0)).toBe(emptySelection);
  });
  it('follows keys when the list changes', () => {
    const s = clickRow(clickRow(emptySelection, keys, 1), keys, 3, { toggle: true });
    const next = reconcile(s, keys, ['d', 'x', 'b']);
    expect(picked(next)).toEqual(['b', 'd']);
    expect(next.focus).toBe(0);
    expect(reconcile(s, keys, ['x']).keys.size).toBe(0);
  });
});
