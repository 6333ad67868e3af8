// Multi-selection over a list of keys in view order: click, shift+click (range from
// the anchor), ctrl/cmd+click (toggle), and keyboard moves. Pure: every function
// returns a new Selection.

export interface Selection {
  /** Selected keys. */
  keys: ReadonlySet<string>;
  /** Where a shift range starts (an index in view order), or -1. */
  anchor: number;
  /** The row with keyboard focus, or -1. */
  focus: number;
}

export const emptySelection: Selection = { keys: new Set(), anchor: -1, focus: -1 };

export interface Modifiers {
  shift?: boolean;
  /** Ctrl on Linux/Windows, Cmd on macOS. */
  toggle?: boolean;
}

function range(keys: readonly string[], a: number, b: number): Set<string> {
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  return new Set(keys.slice(Math.max(0, lo), hi + 1));
}

/** A click on row `index`. */
export function clickRow(
  sel: Selection,
  keys: readonly string[],
  index: number,
  mods: Modifiers = {},
): Selection {
  if (index < 0 || index >= keys.length) return sel;
  const key = keys[index];
  if (mods.shift && sel.anchor >= 0) {
    const picked = range(keys, sel.anchor, index);
    if (mods.toggle) for (const k of sel.keys) picked.add(k);
    return { keys: picked, anchor: sel.anchor, focus: index };
  }
  if (mods.toggle) {
    const next = new Set(sel.keys);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    return { keys: next, anchor: index, focus: index };
  }
  return { keys: new Set([key]), anchor: index, focus: index };
}

/** A right click: keep the selection if the row is in it, else select just the row. */
export function contextRow(sel: Selection, keys: readonly string[], index: number): Selection {
  if (index < 0 || index >= keys.length) return sel;
  if (sel.keys.has(keys[index])) return { ...sel, focus: index };
  return { keys: new Set([keys[index]]), anchor: index, focus: index };
}

/** Moves the focus by `delta` rows (arrows, page keys), clamped; shift extends. */
export function moveFocus(
  sel: Selection,
  keys: readonly string[],
  delta: number,
  mods: Modifiers = {},
): Selection {
  if (keys.length === 0) return emptySelection;
  const from = sel.focus < 0 ? (delta > 0 ? -1 : keys.length) : sel.focus;
  const to = Math.max(0, Math.min(keys.length - 1, from + delta));
  return moveTo(sel, keys, to, mods);
}

/** Moves the focus to row `index` (Home/End); shift extends. */
export function moveTo(
  sel: Selection,
  keys: readonly string[],
  index: number,
  mods: Modifiers = {},
): Selection {
  if (keys.length === 0) return emptySelection;
  const to = Math.max(0, Math.min(keys.length - 1, index));
  if (mods.shift) {
    const anchor = sel.anchor >= 0 ? sel.anchor : to;
    return { keys: range(keys, anchor, to), anchor, focus: to };
  }
  return { keys: new Set([keys[to]]), anchor: to, focus: to };
}

export function selectAll(keys: readonly string[], sel: Selection): Selection {
  return { keys: new Set(keys), anchor: sel.anchor, focus: sel.focus };
}

/** After the list changed (sort, filter, new page): drop keys no longer shown, keep
 * the focus on the same key when possible. */
export function reconcile(
  sel: Selection,
  oldKeys: readonly string[],
  newKeys: readonly string[],
): Selection {
  if (sel.keys.size === 0 && sel.focus < 0) return sel;
  const present = new Set(newKeys);
  const kept = new Set([...sel.keys].filter((k) => present.has(k)));
  const locate = (i: number) => (i >= 0 && i < oldKeys.length ? newKeys.indexOf(oldKeys[i]) : -1);
  return { keys: kept, anchor: locate(sel.anchor), focus: locate(sel.focus) };
}
