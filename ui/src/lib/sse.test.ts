import { describe, expect, it } from 'vitest';
import { SseParser, backoffDelay } from './sse';

describe('SseParser', () => {
  it('parses events with a name and data', () => {
    const p = new SseParser();
    expect(p.push('event: job\ndata: {"a":1}\n\n')).toEqual([{ event: 'job', data: '{"a":1}', id: null }]);
  });
  it('joins data lines and defaults the event name', () => {
    const p = new SseParser();
    expect(p.push('data: one\ndata: two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo', id: null }]);
  });
  it('handles chunks split anywhere, CRLF included', () => {
    const p = new SseParser();
    const stream = 'event: job\r\ndata: {"x":"y"}\r\n\r\nevent: other\r\ndata: 2\r\n\r\n';
    const out = [];
    for (const c of stream) out.push(...p.push(c));
    expect(out.map((m) => [m.event, m.data])).toEqual([
      ['job', '{"x":"y"}'],
      ['other', '2'],
    ]);
  });
  it('handles a CRLF split between chunks and lone CR line ends', () => {
    const p = new SseParser();
    expect(p.push('data: a\r')).toEqual([]);
    expect(p.push('\n\r')).toEqual([{ event: 'message', data: 'a', id: null }]);
    expect(p.push('data: b\r\r')).toEqual([{ event: 'message', data: 'b', id: null }]);
  });
  it('ignores comments (keep-alives) and unknown fields', () => {
    const p = new SseParser();
    expect(p.push(':\n\n: keep-alive\n\nfoo: bar\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x', id: null }]);
  });
  it('keeps the last id and reads retry', () => {
    const p = new SseParser();
    expect(p.push('id: 7\nretry: 3000\ndata: a\n\ndata: b\n\n').map((m) => m.id)).toEqual(['7', '7']);
    expect(p.retry).toBe(3000);
  });
  it('dispatches nothing for an event without data', () => {
    const p = new SseParser();
    expect(p.push('event: job\n\n')).toEqual([]);
    expect(p.push('data\n\n')).toEqual([{ event: 'message', data: '', id: null }]);
  });
  it('keeps only one leading space of a value', () => {
    const p = new SseParser();
    expect(p.push('data:  two spaces\n\n')[0].data).toBe(' two spaces');
    expect(p.push('data:none\n\n')[0].data).toBe('none');
  });
  it('waits for the blank line before dispatching', () => {
    const p = new SseParser();
    expect(p.push('data: partial\n')).toEqual([]);
    expect(p.push('\n')).toHaveLength(1);
  });
});

describe('backoffDelay', () => {
  it('doubles up to a cap', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20)).toBe(15000);
  });
});
