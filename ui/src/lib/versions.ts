// Object versions of buckets with versioning: the bucket's state (read, turned on or
// suspended), the versions and delete markers of a key, a version made current again,
// a version's bytes, a version deleted for good, and the keys deleted from a folder
// (their delete markers; removing one undeletes the key). Keys and version ids travel as
// query values (or in a JSON body), never as path segments, so any character is fine.
// A server without versioning (Garage, the `local` profile) answers 400 `unsupported`:
// the UI then shows no versions at all rather than an error (see `isUnsupported`).

import { toApiError } from './errors';
import { formatBytes, formatDate } from './format';
import { bucketPath } from './paths';
import type { Transport } from './transport';

/** A bucket's versioning state, as S3 reports it. */
export type VersioningState = 'off' | 'enabled' | 'suspended';

/** `GET`/`PUT …/versioning`'s answer. */
export interface VersioningAnswer {
  state: VersioningState;
}

/** One version of an object, or a delete marker. */
export interface ObjectVersion {
  key: string;
  /** The version id (`null`, the string, for a version written while versioning was off). */
  version_id: string;
  /** Whether this is the key's current version. */
  is_latest: boolean;
  /** A delete marker (no bytes): the key reads as deleted while it is the latest. */
  is_delete_marker: boolean;
  /** Bytes (0 for a delete marker). */
  size: number;
  /** RFC 3339, or null. */
  last_modified: string | null;
  /** Without quotes; null for a delete marker. */
  etag: string | null;
}

/** The route of one version's bytes (GET) or of deleting it (DELETE). */
export function versionPath(profile: string, bucket: string): string {
  return bucketPath(profile, bucket, '/object/version');
}

/** The query naming one version: `{key, version_id}`, as they are (the transport encodes). */
export function versionQuery(key: string, versionId: string): Record<string, string> {
  return { key, version_id: versionId };
}

/** The versioning routes of the API, over either transport (HTTP or Tauri IPC). */
export class VersionsClient {
  constructor(private readonly transport: Transport) {}

  /** The bucket's versioning state; rejects with `unsupported` on servers without it. */
  versioning(profile: string, bucket: string): Promise<VersioningAnswer> {
    return this.transport.json({ method: 'GET', path: bucketPath(profile, bucket, '/versioning') });
  }

  /** Turns versioning on (`true`) or suspends it (`false`); resolves with the new state. */
  setVersioning(profile: string, bucket: string, enabled: boolean): Promise<VersioningAnswer> {
    return this.transport.json({ method: 'PUT', path: bucketPath(profile, bucket, '/versioning'), body: { enabled } });
  }

  /** Every version and delete marker of a key, newest first. */
  list(profile: string, bucket: string, key: string): Promise<ObjectVersion[]> {
    return this.transport.json({ method: 'GET', path: bucketPath(profile, bucket, '/object/versions'), query: { key } });
  }

  /** Makes a version current again (a server-side copy over its key); resolves with
   * the key's versions after the copy. A delete marker cannot be restored (400). */
  restore(profile: string, bucket: string, key: string, versionId: string): Promise<ObjectVersion[]> {
    return this.transport.json({
      method: 'POST',
      path: bucketPath(profile, bucket, '/object/restore-version'),
      body: { key, version_id: versionId },
    });
  }

  /** Deletes a version (or delete marker) for good; resolves with the key's versions after. */
  remove(profile: string, bucket: string, key: string, versionId: string): Promise<ObjectVersion[]> {
    return this.transport.json({
      method: 'DELETE',
      path: versionPath(profile, bucket),
      query: versionQuery(key, versionId),
    });
  }

  /** The keys deleted from one folder that versioning can bring back: the delete
   * markers that are the latest version of keys directly in `prefix` (`""` at the
   * bucket root, else ending in `/`; delimiter `/`, so keys of subfolders are not
   * included), newest first. `version_id` is the marker's id: removing that marker
   * (`remove(profile, bucket, key, version_id)`) undeletes the key. Rejects with
   * `unsupported` on servers without versioning. */
  listDeleted(profile: string, bucket: string, prefix: string): Promise<ObjectVersion[]> {
    return this.transport.json({ method: 'GET', path: bucketPath(profile, bucket, '/deleted'), query: { prefix } });
  }

  /** The bytes of one version, all of them (a preview or a small save). */
  bytes(profile: string, bucket: string, key: string, versionId: string): Promise<ArrayBuffer> {
    return this.transport.bytes(versionPath(profile, bucket), versionQuery(key, versionId));
  }
}

// --- helpers --------------------------------------------------------------------------

/** Whether an error says the server has no versioning (hide versions, don't show an error). */
export function isUnsupported(e: unknown): boolean {
  return toApiError(e).code === 'unsupported';
}

/** "Off", "Enabled", "Suspended"; null (no versioning on this server) → "Not available on this server". */
export function versioningLabel(state: VersioningState | null): string {
  switch (state) {
    case 'enabled':
      return 'Enabled';
    case 'suspended':
      return 'Suspended';
    case 'off':
      return 'Off';
    default:
      return 'Not available on this server';
  }
}

/** What the versioning button does from a state: turn it on, or suspend it. */
export function versioningAction(state: VersioningState): { enable: boolean; label: string } {
  return state === 'enabled' ? { enable: false, label: 'Suspend versioning' } : { enable: true, label: 'Turn on versioning' };
}

/** A version's size as shown: "1.5 KiB", or "delete marker". */
export function versionLabel(v: Pick<ObjectVersion, 'is_delete_marker' | 'size'>): string {
  return v.is_delete_marker ? 'delete marker' : formatBytes(v.size);
}

/** The badge of the current version ("latest"), or null. */
export function latestBadge(v: Pick<ObjectVersion, 'is_latest'>): string | null {
  return v.is_latest ? 'latest' : null;
}

/** A version id short enough for a row: its first 8 characters and "…" (full id in a title). */
export function shortVersionId(id: string, keep = 8): string {
  return id.length <= keep + 1 ? id : `${id.slice(0, keep)}…`;
}

/** "version 3f2a1b9c… of 2024-05-01 14:03", for confirmations and messages. */
export function describeVersion(v: Pick<ObjectVersion, 'version_id' | 'last_modified' | 'is_delete_marker'>): string {
  const what = v.is_delete_marker ? 'delete marker' : 'version';
  return `${what} ${v.version_id} of ${formatDate(v.last_modified)}`;
}

/** Whether a version can be made current: not a delete marker, not already the latest. */
export function canRestore(v: Pick<ObjectVersion, 'is_latest' | 'is_delete_marker'>): boolean {
  return !v.is_latest && !v.is_delete_marker;
}

/** Whether a version has bytes to download (a delete marker has none). */
export function canDownload(v: Pick<ObjectVersion, 'is_delete_marker'>): boolean {
  return !v.is_delete_marker;
}

/** A deleted key's name inside the folder `prefix` (the key itself if outside it). */
export function deletedName(key: string, prefix: string): string {
  return prefix && key.startsWith(prefix) ? key.slice(prefix.length) : key;
}
