// One event stream for the whole UI: the transfers panel and the jobs page listen to
// the same subscription of the transport. A second SSE connection would cost a
// socket; a second Tauri `api_events` call would leave a forwarder behind it.

import type { EventHandlers } from './transport';

/** Opens the stream for the first listener, closes it after the last one. */
export class EventHub {
  private listeners = new Set<EventHandlers>();
  private close: (() => void) | null = null;

  constructor(private readonly open: (handlers: EventHandlers) => () => void) {}

  get size(): number {
    return this.listeners.size;
  }

  subscribe(handlers: EventHandlers): () => void {
    // A new object each time: one listener may subscribe twice.
    const entry: EventHandlers = { onEvent: (e) => handlers.onEvent(e), onOpen: () => handlers.onOpen?.() };
    this.listeners.add(entry);
    if (!this.close) {
      this.close = this.open({
        onEvent: (e) => {
          for (const l of [...this.listeners]) l.onEvent(e);
        },
        onOpen: () => {
          for (const l of [...this.listeners]) l.onOpen?.();
        },
      });
    }
    return () => {
      if (!this.listeners.delete(entry)) return;
      if (this.listeners.size === 0 && this.close) {
        const close = this.close;
        this.close = null;
        close();
      }
    };
  }
}
