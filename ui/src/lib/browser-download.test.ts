import { describe, expect, it } from 'vitest';
import { localSegments } from './browser-download';

describe('localSegments', () => {
  it('maps a key path to safe local path segments', () => {
    expect(localSegments('photos/2024/a b.jpg')).toEqual(['photos', '2024', 'a b.jpg']);
    expect(localSegments('a//b/../c')).toEqual(['a', 'b', '_', 'c']);
    expect(localSegments('/lead/./x')).toEqual(['lead', '_', 'x']);
  });
});
