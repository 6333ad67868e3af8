// Transfers the browser runs itself (uploads with XHR, downloads with fetch), a few
// at a time, reported as `local` rows of the queue. Pause aborts and marks the row
// paused; resume and retry start it again; cancel aborts for good. A row's id is also
// the id of the server's one-off job for its upload (`x-coffer-job-id`), so it is made
// to be a valid job id, and unique across tabs.

import { describeError } from './errors';
import { etaOf, smoothRate, type Direction, type Queue, type QueueRow } from './queue';
import { patchRow, removeRows, upsertRow } from './queue';

export interface TaskContext {
  /** The row's id (a valid job id: see `isJobId`). */
  id: string;
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

/** What the server takes as a job id (`x-coffer-job-id`): 1 to 64 of A-Z a-z 0-9 _ -. */
export function isJobId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/** 12 random hex digits (`crypto.getRandomValues` works without a secure context,
 * unlike `randomUUID`). */
function randomHex(): string {
  const bytes = new Uint8Array(6);
  if (typeof crypto !== 'undefined' && typeof crypto.getRandomValues === 'function') {
    crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new row id: `local-<time>-<counter>-<random>`, at most 40 characters of the job
 * id alphabet. The random part keeps two tabs that start uploads in the same
 * millisecond apart: their rows are one-off jobs of the same server. */
export function newLocalId(now = Date.now()): string {
  return `local-${now.toString(36)}-${(++counter).toString(36)}-${randomHex()}`;
}

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
        const id = newLocalId(now);
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
      await slot.task.run({ id, progress, signal: controller.signal });
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
