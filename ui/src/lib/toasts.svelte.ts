// Short messages at the bottom right: errors as readable sentences, never a stack.

import { describeError } from './errors';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

let next = 0;

class Toasts {
  items = $state<Toast[]>([]);

  show(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 8000 : 4000): void {
    const id = ++next;
    this.items = [...this.items, { id, kind, text }];
    setTimeout(() => this.dismiss(id), ms);
  }

  /** An error from anywhere, as its message. */
  error(e: unknown, context?: string): void {
    const message = describeError(e);
    this.show(context ? `${context}: ${message}` : message, 'error');
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
