import { describe, expect, it } from 'vitest';
import { decodeText, parseCsv, prettyJson, previewKind } from './preview';

describe('previewKind', () => {
  it('goes by the extension, case-insensitively', () => {
    expect(previewKind('a/photo.JPG')).toBe('image');
    expect(previewKind('data.json')).toBe('json');
    expect(previewKind('t.csv')).toBe('csv');
    expect(previewKind('notes.md')).toBe('text');
    expect(previewKind('archive.tar.gz')).toBe('none');
    expect(previewKind('.hidden')).toBe('none');
    expect(previewKind('dir.json/file')).toBe('none');
  });
});

describe('prettyJson', () => {
  it('indents JSON', () => {
    expect(prettyJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
  });
  it('handles JSON lines', () => {
    expect(prettyJson('{"a":1}\n{"b":2}\n')).toBe('{\n  "a": 1\n}\n{\n  "b": 2\n}');
  });
  it('gives null for broken JSON', () => {
    expect(prettyJson('{"a":')).toBeNull();
  });
});

describe('parseCsv', () => {
  it('splits rows and fields', () => {
    expect(parseCsv('a,b\n1,2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
  it('handles quotes, escaped quotes, commas and newlines in quotes, CRLF', () => {
    expect(parseCsv('"x, y","say ""hi"""\r\n"multi\nline",z')).toEqual([
      ['x, y', 'say "hi"'],
      ['multi\nline', 'z'],
    ]);
  });
  it('keeps empty fields and stops at maxRows', () => {
    expect(parseCsv('a,,c\n,,\n')).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
    ]);
    expect(parseCsv('1\n2\n3\n4\n', 2)).toEqual([['1'], ['2']]);
  });
});

describe('decodeText', () => {
  it('drops a character cut at the end of a truncated read', () => {
    const bytes = new TextEncoder().encode('héé').slice(0, 4); // cuts the second é
    expect(decodeText(bytes.buffer, true)).toBe('hé');
    expect(decodeText(new TextEncoder().encode('ok').buffer, false)).toBe('ok');
  });
});
