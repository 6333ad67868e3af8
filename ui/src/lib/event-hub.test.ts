import { describe, expect, it } from 'vitest';
import { EventHub } from './event-hub';
import type { EventHandlers } from './transport';
import type { ApiEvent } from './types';

const event = { stream: 'job', data: { kind: 'done', job: { id: 'j1', kind: 'upload', oneoff: true, state: 'done' } } } as ApiEvent;

function hub() {
  const state = { opened: 0, closed: 0, handlers: null as EventHandlers | null };
  const h = new EventHub((handlers) => {
    state.opened += 1;
    state.handlers = handlers;
    return () => (state.closed += 1);
  });
  return { h, state };
}

describe('EventHub', () => {
  it('opens one stream for every listener and closes it after the last', () => {
    const { h, state } = hub();
    const seen: string[] = [];
    const offA = h.subscribe({ onEvent: () => seen.push('a'), onOpen: () => seen.push('open a') });
    const offB = h.subscribe({ onEvent: () => seen.push('b') });
    expect(state.opened).toBe(1);
    state.handlers?.onOpen?.();
    state.handlers?.onEvent(event);
    expect(seen).toEqual(['open a', 'a', 'b']);
    offA();
    offA(); // twice is harmless
    state.handlers?.onEvent(event);
    expect(seen).toEqual(['open a', 'a', 'b', 'b']);
    expect(state.closed).toBe(0);
    offB();
    expect(state.closed).toBe(1);
    expect(h.size).toBe(0);
    h.subscribe({ onEvent: () => undefined });
    expect(state.opened).toBe(2);
  });

  it('tells a listener of an open that happens while it subscribes (Tauri opens at once)', () => {
    const opens: string[] = [];
    const h = new EventHub((handlers) => {
      handlers.onOpen?.();
      return () => undefined;
    });
    h.subscribe({ onEvent: () => undefined, onOpen: () => opens.push('first') });
    expect(opens).toEqual(['first']);
  });
});
