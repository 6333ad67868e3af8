import { describe, expect, it } from 'vitest';
import { LocalRunner, isJobId, newLocalId, type LocalTask, type TaskContext } from './local-runner';
import { emptyQueue, type Queue } from './queue';

function harness(concurrency = 2) {
  let q: Queue = emptyQueue;
  const runner = new LocalRunner((change) => {
    q = change(q);
  }, concurrency);
  return { runner, rows: () => [...q.rows.values()] };
}

function task(name: string, body: (ctx: TaskContext) => Promise<void>): LocalTask {
  return { name, direction: 'upload', profile: 'p', bucket: 'b', key: name, bytesTotal: 10, run: body };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('LocalRunner', () => {
  it('runs a task to done with its bytes', async () => {
    const { runner, rows } = harness();
    let doneCalled = false;
    runner.add([
      {
        ...task('a', async (ctx) => {
          ctx.progress(5, 10);
          ctx.progress(10, 10);
        }),
        onDone: () => (doneCalled = true),
      },
    ]);
    await tick();
    expect(rows()[0]).toMatchObject({ state: 'done', bytesDone: 10, bytesTotal: 10, source: 'local' });
    expect(doneCalled).toBe(true);
  });

  it('marks a failure with its message', async () => {
    const { runner, rows } = harness();
    runner.add([task('a', async () => Promise.reject({ code: 'x', message: 'boom' }))]);
    await tick();
    expect(rows()[0]).toMatchObject({ state: 'failed', error: 'boom' });
  });

  it('keeps at most `concurrency` running', async () => {
    const { runner, rows } = harness(1);
    const release: (() => void)[] = [];
    const blocked = (ctx: TaskContext) =>
      new Promise<void>((resolve, reject) => {
        release.push(resolve);
        ctx.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    runner.add([task('a', blocked), task('b', blocked)]);
    await tick();
    expect(rows().map((r) => r.state)).toEqual(['running', 'queued']);
    release[0]();
    await tick();
    expect(rows().map((r) => r.state)).toEqual(['done', 'running']);
  });

  it('pauses, resumes from the start, and cancels', async () => {
    const { runner, rows } = harness();
    let runs = 0;
    const release: (() => void)[] = [];
    const ids = runner.add([
      task('a', (ctx) => {
        runs += 1;
        return new Promise<void>((resolve, reject) => {
          release.push(resolve);
          ctx.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        });
      }),
    ]);
    await tick();
    runner.pause(ids[0]);
    await tick();
    expect(rows()[0].state).toBe('paused');
    runner.restart(ids[0]);
    await tick();
    expect(rows()[0].state).toBe('running');
    expect(runs).toBe(2);
    runner.cancel(ids[0]);
    await tick();
    expect(rows()[0].state).toBe('canceled');
    runner.forget(ids[0]);
    expect(rows()).toEqual([]);
  });
});

describe('row ids', () => {
  it('are valid job ids (the server’s one-off job of an upload takes the row’s id)', () => {
    expect(isJobId('a')).toBe(true);
    expect(isJobId('A-z_0-9')).toBe(true);
    expect(isJobId('x'.repeat(64))).toBe(true);
    expect(isJobId('x'.repeat(65))).toBe(false);
    expect(isJobId('')).toBe(false);
    expect(isJobId('a.b')).toBe(false);
    expect(isJobId('a/b')).toBe(false);
    const ids = new Set<string>();
    for (const at of [0, Date.now(), 8.64e15]) {
      for (let i = 0; i < 100; i++) {
        const id = newLocalId(at);
        expect(isJobId(id), id).toBe(true);
        expect(id.length).toBeLessThanOrEqual(40);
        ids.add(id);
      }
    }
    expect(ids.size).toBe(300);
  });

  it('are given to the task, each its own', async () => {
    const { runner } = harness();
    const seen: string[] = [];
    const ids = runner.add([
      task('a', async (ctx) => void seen.push(ctx.id)),
      task('b', async (ctx) => void seen.push(ctx.id)),
    ]);
    await tick();
    expect(seen).toEqual(ids);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(isJobId(id)).toBe(true);
  });
});
