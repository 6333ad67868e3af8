// NDJSON as it streams: lines cut anywhere between chunks, CRLF, blank lines, a last
// line without its newline.
import { describe, expect, it } from 'vitest';
import { LineSplitter, splitLines } from './ndjson';

describe('LineSplitter', () => {
  it('keeps a line cut between chunks until its end arrives', () => {
    const s = new LineSplitter();
    expect(s.push('{"key":"a"}\n{"ke')).toEqual(['{"key":"a"}']);
    expect(s.push('y":"b"')).toEqual([]);
    expect(s.push('}\n')).toEqual(['{"key":"b"}']);
    expect(s.end()).toEqual([]);
  });

  it('gives every line of a chunk holding many, in order', () => {
    const s = new LineSplitter();
    expect(s.push('1\n2\n3\n4')).toEqual(['1', '2', '3']);
    expect(s.end()).toEqual(['4']);
  });

  it('splits the same whatever the chunk boundaries', () => {
    const body = '{"key":"docs/a.txt"}\n{"key":"ü/€.jpg"}\r\n\n{"done":true,"matches":2}\n';
    const whole = splitLines(body);
    expect(whole).toEqual(['{"key":"docs/a.txt"}', '{"key":"ü/€.jpg"}', '{"done":true,"matches":2}']);
    for (let size = 1; size <= body.length; size++) {
      const s = new LineSplitter();
      const lines: string[] = [];
      for (let i = 0; i < body.length; i += size) lines.push(...s.push(body.slice(i, i + size)));
      lines.push(...s.end());
      expect(lines, `chunks of ${size}`).toEqual(whole);
    }
  });

  it('drops blank lines and the \\r of CRLF, and ends with a last line without newline', () => {
    expect(splitLines('a\r\n\r\n  \nb')).toEqual(['a', 'b']);
    expect(splitLines('')).toEqual([]);
    const s = new LineSplitter();
    s.push('x');
    expect(s.end()).toEqual(['x']);
    expect(s.end()).toEqual([]);
  });
});
