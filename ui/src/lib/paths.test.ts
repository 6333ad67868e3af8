import { describe, expect, it } from 'vitest';
import {
  baseName,
  breadcrumbs,
  bucketPath,
  folderKey,
  isFolder,
  join,
  localBaseName,
  parent,
  queryString,
  uploadKey,
  validName,
} from './paths';

describe('breadcrumbs', () => {
  it('has only the bucket at the root', () => {
    expect(breadcrumbs('b', '')).toEqual([{ label: 'b', prefix: '' }]);
  });
  it('has one crumb per folder', () => {
    expect(breadcrumbs('b', 'photos/2024/')).toEqual([
      { label: 'b', prefix: '' },
      { label: 'photos', prefix: 'photos/' },
      { label: '2024', prefix: 'photos/2024/' },
    ]);
  });
  it('keeps empty segments from "//" and a leading "/"', () => {
    expect(breadcrumbs('b', 'a//b/').map((c) => c.prefix)).toEqual(['', 'a/', 'a//', 'a//b/']);
    expect(breadcrumbs('b', 'a//b/')[2].label).toBe('(empty name)');
    expect(breadcrumbs('b', '/x/').map((c) => c.prefix)).toEqual(['', '/', '/x/']);
  });
  it('keeps unicode, spaces, % and + as they are', () => {
    const crumbs = breadcrumbs('b', 'été 2024/50% off+more/');
    expect(crumbs.map((c) => c.label)).toEqual(['b', 'été 2024', '50% off+more']);
    expect(crumbs[2].prefix).toBe('été 2024/50% off+more/');
  });
});

describe('parent and names', () => {
  it('finds the parent prefix', () => {
    expect(parent('a/b/c.txt')).toBe('a/b/');
    expect(parent('a/b/')).toBe('a/');
    expect(parent('a/')).toBe('');
    expect(parent('top.txt')).toBe('');
    expect(parent('a//')).toBe('a/');
    expect(parent('a//b')).toBe('a//');
    expect(parent('/')).toBe('');
  });
  it('takes the last segment', () => {
    expect(baseName('a/b/c.txt')).toBe('c.txt');
    expect(baseName('a/b/')).toBe('b');
    expect(baseName('a//')).toBe('');
    expect(baseName('plain')).toBe('plain');
    expect(baseName('dir/naïve file+1%.txt')).toBe('naïve file+1%.txt');
  });
  it('joins without normalizing', () => {
    expect(join('a/', 'b.txt')).toBe('a/b.txt');
    expect(join('a//', '/b')).toBe('a///b');
    expect(folderKey('a/', 'new folder')).toBe('a/new folder/');
    expect(isFolder('a/')).toBe(true);
    expect(isFolder('a')).toBe(false);
  });
  it('validates a new name', () => {
    expect(validName('ok name.txt')).toBeNull();
    expect(validName('  ')).not.toBeNull();
    expect(validName('a/b')).not.toBeNull();
    expect(validName('x'.repeat(1025))).not.toBeNull();
  });
});

describe('upload keys', () => {
  it('puts a relative path under the prefix', () => {
    expect(uploadKey('in/', 'photo.jpg')).toBe('in/photo.jpg');
    expect(uploadKey('', 'dir/sub/a b.txt')).toBe('dir/sub/a b.txt');
    expect(uploadKey('p/', 'dir\\win\\file.txt')).toBe('p/dir/win/file.txt');
  });
  it('takes the base name of local paths', () => {
    expect(localBaseName('/home/me/Photos')).toBe('Photos');
    expect(localBaseName('/home/me/Photos/')).toBe('Photos');
    expect(localBaseName('C:\\Users\\me\\file.txt')).toBe('file.txt');
  });
});

describe('URLs', () => {
  it('encodes profile and bucket as path segments', () => {
    expect(bucketPath('my profile', 'b', '/objects')).toBe('/api/v1/profiles/my%20profile/buckets/b/objects');
  });
  it('percent-encodes every query value, "+" and "%" included', () => {
    expect(queryString({ key: 'a b+c%d/é//x' })).toBe('?key=a%20b%2Bc%25d%2F%C3%A9%2F%2Fx');
    expect(queryString({})).toBe('');
    expect(queryString()).toBe('');
    expect(decodeURIComponent(queryString({ key: '/lead' }).slice(5))).toBe('/lead');
  });
});
