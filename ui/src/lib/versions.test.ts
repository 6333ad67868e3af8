// The versioning client: routes, query values (keys with unicode, spaces, `%`, `+`,
// `//`; odd version ids), bodies, over a recording transport and real HTTP (stubbed
// fetch); a server without versioning (400 `unsupported`); and the pure helpers.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setToken } from './auth';
import { objectUrl } from './browser-download';
import { ApiError } from './errors';
import { formatDate } from './format';
import type { JsonRequest, Transport } from './transport';
import { HttpTransport } from './transport-http';
import {
  VersionsClient,
  canDownload,
  canRestore,
  deletedName,
  describeVersion,
  isUnsupported,
  latestBadge,
  shortVersionId,
  versionLabel,
  versioningAction,
  versioningLabel,
  type ObjectVersion,
} from './versions';

const KEY = 'dir//a b%20+c&d=e#f?g ü 日本.txt';
const VID = '3/L4kqtJl+cQ==%x y';
const BASE = '/api/v1/profiles/my%20p/buckets/bkt';

const VERSIONS: ObjectVersion[] = [
  { key: KEY, version_id: 'v3', is_latest: true, is_delete_marker: true, size: 0, last_modified: '2024-05-03T10:00:00Z', etag: null },
  { key: KEY, version_id: 'v2', is_latest: false, is_delete_marker: false, size: 1536, last_modified: '2024-05-02T10:00:00Z', etag: 'abc' },
];

class Recorder implements Transport {
  readonly kind = 'http' as const;
  requests: JsonRequest[] = [];
  bytesCalls: [string, Record<string, string>, number | undefined][] = [];
  constructor(private readonly answer: unknown = null) {}
  async json<T>(request: JsonRequest): Promise<T> {
    this.requests.push(request);
    return this.answer as T;
  }
  async bytes(path: string, query: Record<string, string>, rangeEnd?: number): Promise<ArrayBuffer> {
    this.bytesCalls.push([path, query, rangeEnd]);
    return new ArrayBuffer(3);
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

beforeAll(() => {
  (globalThis as unknown as { window: unknown }).window = globalThis;
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('versioning routes', () => {
  it('reads and sets the bucket’s versioning', async () => {
    const t = new Recorder({ state: 'enabled' });
    const c = new VersionsClient(t);
    expect(await c.versioning('my p', 'bkt')).toEqual({ state: 'enabled' });
    await c.setVersioning('my p', 'bkt', true);
    await c.setVersioning('my p', 'bkt', false);
    expect(t.requests).toEqual([
      { method: 'GET', path: `${BASE}/versioning` },
      { method: 'PUT', path: `${BASE}/versioning`, body: { enabled: true } },
      { method: 'PUT', path: `${BASE}/versioning`, body: { enabled: false } },
    ]);
  });

  it('puts the key and version id in the query or body, as they are', async () => {
    const t = new Recorder(VERSIONS);
    const c = new VersionsClient(t);
    expect(await c.list('my p', 'bkt', KEY)).toEqual(VERSIONS);
    await c.restore('my p', 'bkt', KEY, VID);
    await c.remove('my p', 'bkt', KEY, VID);
    await c.bytes('my p', 'bkt', KEY, VID);
    expect(t.requests).toEqual([
      { method: 'GET', path: `${BASE}/object/versions`, query: { key: KEY } },
      { method: 'POST', path: `${BASE}/object/restore-version`, body: { key: KEY, version_id: VID } },
      { method: 'DELETE', path: `${BASE}/object/version`, query: { key: KEY, version_id: VID } },
    ]);
    expect(t.bytesCalls).toEqual([[`${BASE}/object/version`, { key: KEY, version_id: VID }, undefined]]);
  });
});

describe('deleted keys of a folder', () => {
  const PREFIX = 'a b/ü+%/';
  const MARKERS: ObjectVersion[] = [
    { key: `${PREFIX}x.txt`, version_id: 'm2', is_latest: true, is_delete_marker: true, size: 0, last_modified: '2024-05-03T10:00:00Z', etag: null },
    { key: `${PREFIX}y`, version_id: 'm1', is_latest: true, is_delete_marker: true, size: 0, last_modified: '2024-05-01T10:00:00Z', etag: null },
  ];

  it('asks the folder’s route with the prefix as a query value, as it is', async () => {
    const t = new Recorder(MARKERS);
    const c = new VersionsClient(t);
    expect(await c.listDeleted('my p', 'bkt', PREFIX)).toEqual(MARKERS);
    await c.listDeleted('my p', 'bkt', '');
    expect(t.requests).toEqual([
      { method: 'GET', path: `${BASE}/deleted`, query: { prefix: PREFIX } },
      { method: 'GET', path: `${BASE}/deleted`, query: { prefix: '' } },
    ]);
  });

  it('undeletes by removing the marker by its id', async () => {
    const t = new Recorder([]);
    await new VersionsClient(t).remove('my p', 'bkt', MARKERS[0].key, MARKERS[0].version_id);
    expect(t.requests).toEqual([{ method: 'DELETE', path: `${BASE}/object/version`, query: { key: `${PREFIX}x.txt`, version_id: 'm2' } }]);
  });

  it('names a deleted key inside its folder', () => {
    expect(deletedName(`${PREFIX}x.txt`, PREFIX)).toBe('x.txt');
    expect(deletedName('top.txt', '')).toBe('top.txt');
    expect(deletedName('other/z', PREFIX)).toBe('other/z');
  });
});

describe('versioning routes over HTTP', () => {
  function stub(answer: () => Response) {
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    });
    setToken('t');
    const fetch = vi.fn(async () => answer());
    vi.stubGlobal('fetch', fetch);
    return fetch;
  }

  const ENCODED_KEY = 'dir%2F%2Fa%20b%2520%2Bc%26d%3De%23f%3Fg%20%C3%BC%20%E6%97%A5%E6%9C%AC.txt';
  const ENCODED_VID = '3%2FL4kqtJl%2BcQ%3D%3D%25x%20y';

  it('percent-encodes keys and ids: `+` is not a space, `//`, `%`, `&` and `#` survive', async () => {
    const fetch = stub(() => Response.json(VERSIONS));
    const c = new VersionsClient(new HttpTransport());
    await c.list('my p', 'bkt', KEY);
    await c.remove('my p', 'bkt', KEY, VID);
    const [listUrl, listInit] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(listUrl).toBe(`${BASE}/object/versions?key=${ENCODED_KEY}`);
    expect(listInit.method).toBe('GET');
    expect((listInit.headers as Record<string, string>).Authorization).toBe('Bearer t');
    const [deleteUrl, deleteInit] = fetch.mock.calls[1] as unknown as [string, RequestInit];
    expect(deleteUrl).toBe(`${BASE}/object/version?key=${ENCODED_KEY}&version_id=${ENCODED_VID}`);
    expect(deleteInit.method).toBe('DELETE');
    // What a server's query parser reads back.
    const query = new URL(deleteUrl, 'http://coffer.test').searchParams;
    expect(query.get('key')).toBe(KEY);
    expect(query.get('version_id')).toBe(VID);
  });

  it('percent-encodes odd prefixes of the deleted keys: space, unicode, `+`, `%`', async () => {
    const fetch = stub(() => Response.json([]));
    const c = new VersionsClient(new HttpTransport());
    expect(await c.listDeleted('my p', 'bkt', 'a b/ü+%/')).toEqual([]);
    await c.listDeleted('my p', 'bkt', '');
    await c.listDeleted('my p', 'bkt', 'x&y=z#q?/');
    const urls = fetch.mock.calls.map((call) => (call as unknown as [string, RequestInit])[0]);
    expect(urls).toEqual([
      `${BASE}/deleted?prefix=a%20b%2F%C3%BC%2B%25%2F`,
      `${BASE}/deleted?prefix=`,
      `${BASE}/deleted?prefix=x%26y%3Dz%23q%3F%2F`,
    ]);
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(init.method).toBe('GET');
    expect(new URL(urls[0], 'http://coffer.test').searchParams.get('prefix')).toBe('a b/ü+%/');
    expect(new URL(urls[2], 'http://coffer.test').searchParams.get('prefix')).toBe('x&y=z#q?/');
  });

  it('rejects listing deleted keys with `unsupported` on a server without versioning', async () => {
    stub(() => Response.json({ code: 'unsupported', message: 'this server has no versioning' }, { status: 400 }));
    const e = await new VersionsClient(new HttpTransport()).listDeleted('my p', 'bkt', 'a b/').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(400);
    expect(isUnsupported(e)).toBe(true);
  });

  it('sends JSON bodies for restore and the versioning switch', async () => {
    const fetch = stub(() => Response.json({ state: 'suspended' }));
    const c = new VersionsClient(new HttpTransport());
    await c.restore('my p', 'bkt', KEY, VID);
    await c.setVersioning('my p', 'bkt', false);
    const [restoreUrl, restoreInit] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(restoreUrl).toBe(`${BASE}/object/restore-version`);
    expect(restoreInit.method).toBe('POST');
    expect(JSON.parse(restoreInit.body as string)).toEqual({ key: KEY, version_id: VID });
    const [setUrl, setInit] = fetch.mock.calls[1] as unknown as [string, RequestInit];
    expect(setUrl).toBe(`${BASE}/versioning`);
    expect(setInit.method).toBe('PUT');
    expect(JSON.parse(setInit.body as string)).toEqual({ enabled: false });
  });

  it('rejects with `unsupported` on a server without versioning', async () => {
    stub(() => Response.json({ code: 'unsupported', message: 'this server has no versioning' }, { status: 400 }));
    const c = new VersionsClient(new HttpTransport());
    const e = await c.list('my p', 'bkt', KEY).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(400);
    expect(isUnsupported(e)).toBe(true);
    expect(isUnsupported(await c.versioning('my p', 'bkt').catch((err: unknown) => err))).toBe(true);
  });

  it('keeps other failures as errors (a delete marker cannot be restored)', async () => {
    stub(() => Response.json({ code: 'invalid_input', message: 'version_id: a delete marker has no bytes' }, { status: 400 }));
    const e = await new VersionsClient(new HttpTransport()).restore('my p', 'bkt', KEY, 'v3').catch((err: unknown) => err);
    expect(isUnsupported(e)).toBe(false);
    expect((e as ApiError).message).toBe('version_id: a delete marker has no bytes');
  });

  it('downloads a version from its own route in the browser', () => {
    expect(objectUrl('my p', 'bkt', KEY)).toBe(`${BASE}/object?key=${ENCODED_KEY}`);
    expect(objectUrl('my p', 'bkt', KEY, VID)).toBe(`${BASE}/object/version?key=${ENCODED_KEY}&version_id=${ENCODED_VID}`);
    expect(objectUrl('my p', 'bkt', KEY, 'null')).toBe(`${BASE}/object/version?key=${ENCODED_KEY}&version_id=null`);
  });
});

describe('version helpers', () => {
  it('tells `unsupported` apart from other errors, whatever was thrown', () => {
    expect(isUnsupported(new ApiError('unsupported', 'no versioning', 400))).toBe(true);
    expect(isUnsupported({ code: 'unsupported', message: 'no' })).toBe(true);
    expect(isUnsupported(JSON.stringify({ code: 'unsupported', message: 'no' }))).toBe(true);
    expect(isUnsupported(new ApiError('not_found', 'gone', 404))).toBe(false);
    expect(isUnsupported(new Error('unsupported'))).toBe(false);
    expect(isUnsupported(null)).toBe(false);
  });

  it('labels versions: size or delete marker, latest badge', () => {
    expect(versionLabel(VERSIONS[0])).toBe('delete marker');
    expect(versionLabel(VERSIONS[1])).toBe('1.5 KiB');
    expect(versionLabel({ is_delete_marker: false, size: 0 })).toBe('0 B');
    expect(latestBadge(VERSIONS[0])).toBe('latest');
    expect(latestBadge(VERSIONS[1])).toBeNull();
  });

  it('offers restore only on older versions with bytes, download only with bytes', () => {
    expect(canRestore({ is_latest: true, is_delete_marker: false })).toBe(false);
    expect(canRestore({ is_latest: false, is_delete_marker: true })).toBe(false);
    expect(canRestore({ is_latest: true, is_delete_marker: true })).toBe(false);
    // The version under a delete marker: restoring it undeletes the key.
    expect(canRestore(VERSIONS[1])).toBe(true);
    expect(canDownload(VERSIONS[0])).toBe(false);
    expect(canDownload(VERSIONS[1])).toBe(true);
  });

  it('shortens ids for rows, keeps short ones', () => {
    expect(shortVersionId('null')).toBe('null');
    expect(shortVersionId('123456789')).toBe('123456789');
    expect(shortVersionId('3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY')).toBe('3HL4kqtJ…');
  });

  it('names a version by id and date', () => {
    expect(describeVersion(VERSIONS[1])).toBe(`version v2 of ${formatDate('2024-05-02T10:00:00Z')}`);
    expect(describeVersion(VERSIONS[0])).toBe(`delete marker v3 of ${formatDate('2024-05-03T10:00:00Z')}`);
    expect(describeVersion({ version_id: 'x', last_modified: null, is_delete_marker: false })).toBe('version x of —');
  });

  it('words the bucket’s state and the switch', () => {
    expect(versioningLabel('off')).toBe('Off');
    expect(versioningLabel('enabled')).toBe('Enabled');
    expect(versioningLabel('suspended')).toBe('Suspended');
    expect(versioningLabel(null)).toBe('Not available on this server');
    expect(versioningAction('off')).toEqual({ enable: true, label: 'Turn on versioning' });
    expect(versioningAction('suspended')).toEqual({ enable: true, label: 'Turn on versioning' });
    expect(versioningAction('enabled')).toEqual({ enable: false, label: 'Suspend versioning' });
  });
});
