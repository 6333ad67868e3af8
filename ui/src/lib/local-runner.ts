// Transfers the browser runs itself (uploads with XHR, downloads with fetch), a few
// at a time, reported as `local` rows of the queue. Pause aborts and marks the row
// paused; resume and retry start it again; cancel aborts for good.

import { describeError } from './errors';
import { etaOf, smoothRate, type Direction, type Queue, type QueueRow } from './queue';
import { patchRow, removeRows, upsertRow } from './queue';

export interface TaskContext {
  /** Bytes moved so far (total when it becomes known). */
  progress(done: number, total?: number): void;
  signal: AbortSignal;
}

export interface LocalTask {
  name: string;
  direction: Direction;
  profile: string;
  bucket: string;
  key: string;
  bytesTotal: number;
  run(ctx: TaskContext): Promise<void>;
  /** Called once it finished well. */
  onDone?(): void;
}

type Update = (change: (q: Queue) => Queue) => void;

interface Slot {
  task: LocalTask;
  controller: AbortController | null;
  stopReason: 'pause' | 'cancel' | null;
  /** Resumed while its aborted run was still winding down. */
  restartPending: boolean;
}

let counter = 0;

export class LocalRunner {
  private slots = new Map<string, Slot>();
  private waiting: string[] = [];
  private running = 0;

  constructor(
    private readonly update: Update,
    private readonly concurrency = 3,
  ) {}

  /** Queues tasks; returns their row ids. */
  add(tasks: LocalTask[]): string[] {
    const ids: string[] = [];
    const now = Date.now();
    this.update((q) => {
      let next = q;
      tasks.forEach((task, i) => {
        const id = `local-${++counter}-${now.toString(36)}`;
        ids.push(id);
        this.slots.set(id, { task, controller: null, stopReason: null, restartPending: false });
        this.waiting.push(id);
        next = upsertRow(next, this.rowOf(id, task, now + i * 1e-3));
      });
      return next;
    });
    this.pump();
    return ids;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  pause(id: string): void {
    this.stop(id, 'pause', 'paused');
  }

  cancel(id: string): void {
    this.stop(id, 'cancel', 'canceled');
  }

  /** Resume a paused row or retry a failed/canceled one: it starts over. */
  restart(id: string): void {
    if (!this.slots.has(id) || this.waiting.includes(id)) return;
    const slot = this.slots.get(id) as Slot;
    if (slot.controller) {
      if (slot.stopReason !== null) slot.restartPending = true; // still winding down
      return;
    }
    this.waiting.push(id);
    this.update((q) => patchRow(q, id, { state: 'queued', error: null, bytesDone: 0, rate: 0, eta: null }));
    this.pump();
  }

  /** Forgets a finished row. */
  forget(id: string): void {
    const slot = this.slots.get(id);
    if (slot?.controller) return;
    this.slots.delete(id);
    this.waiting = this.waiting.filter((w) => w !== id);
    this.update((q) => removeRows(q, [id]));
  }

  private rowOf(id: string, task: LocalTask, created: number): QueueRow {
    return {
      id,
      source: 'local',
      name: task.name,
      direction: task.direction,
      state: 'queued',
      bytesDone: 0,
      bytesTotal: task.bytesTotal,
      rate: 0,
      eta: null,
      error: null,
      profile: task.profile,
      bucket: task.bucket,
      key: task.key,
      created,
    };
  }

  private stop(id: string, reason: 'pause' | 'cancel', state: 'paused' | 'canceled'): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    this.waiting = this.waiting.filter((w) => w !== id);
    slot.restartPending = false;
    if (slot.controller) {
      slot.stopReason = reason;
      slot.controller.abort();
    }
    this.update((q) => patchRow(q, id, { state, rate: 0, eta: null }));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift() as string;
      const slot = this.slots.get(id);
      if (slot) void this.start(id, slot);
    }
  }

  private async start(id: string, slot: Slot): Promise<void> {
    this.running += 1;
    const controller = new AbortController();
    slot.controller = controller;
    slot.stopReason = null;
    let total = slot.task.bytesTotal;
    let done = 0;
    let rate = 0;
    let lastAt = performance.now();
    let lastBytes = 0;
    let lastReport = 0;
    this.update((q) => patchRow(q, id, { state: 'running', error: null, bytesDone: 0 }));
    const progress = (bytes: number, newTotal?: number) => {
      done = bytes;
      if (newTotal !== undefined) total = newTotal;
      const now = performance.now();
      const secs = (now - lastAt) / 1000;
      if (secs >= 0.25) {
        rate = smoothRate(rate, done - lastBytes, secs);
        lastAt = now;
        lastBytes = done;
      }
      if (now - lastReport < 200 && done < total) return;
      lastReport = now;
      this.update((q) =>
        patchRow(q, id, { bytesDone: done, bytesTotal: total, rate, eta: etaOf(done, total, rate) }),
      );
    };
    try {
      await slot.task.run({ progress, signal: controller.signal });
      this.update((q) => patchRow(q, id, { state: 'done', bytesDone: Math.max(done, total), bytesTotal: total }));
      slot.task.onDone?.();
    } catch (e) {
      if (slot.stopReason === null) {
        this.update((q) => patchRow(q, id, { state: 'failed', error: describeError(e) }));
      }
    } finally {
      slot.controller = null;
      this.running -= 1;
      if (slot.restartPending) {
        slot.restartPending = false;
        this.restart(id);
      }
      this.pump();
    }
  }
}
