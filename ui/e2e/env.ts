// What the end-to-end tests run against, from the environment. Without COFFER_URL
// every suite is skipped.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const get = (name: string): string | undefined => {
  const v = process.env[name];
  return v && v.trim() !== '' ? v.trim() : undefined;
};

export const env = {
  /** The `coffer serve` serving the UI, e.g. http://127.0.0.1:8421 */
  url: get('COFFER_URL')?.replace(/\/+$/, ''),
  token: get('COFFER_TOKEN') ?? '',
  /** A profile already added (backed by Garage in CI). */
  profile: get('COFFER_PROFILE') ?? 'local',
  /** An empty bucket the flow may write to. */
  bucket: get('COFFER_BUCKET') ?? '',
  /** A bucket and prefix holding 10,000 objects. */
  bigBucket: get('COFFER_BIG_BUCKET') ?? '',
  bigPrefix: get('COFFER_BIG_PREFIX') ?? '',
  bigCount: Number(get('COFFER_BIG_COUNT') ?? 10000),
  /** The backups flow (backups.e2e.ts; skipped without the buckets and folders). */
  backup: {
    /** An empty bucket for a new repository. */
    bucket: get('COFFER_BACKUP_BUCKET') ?? '',
    /** A bucket holding a foreign object, `foreignKey`: creating a repository there is refused. */
    foreignBucket: get('COFFER_BACKUP_FOREIGN_BUCKET') ?? '',
    foreignKey: get('COFFER_BACKUP_FOREIGN_KEY') ?? '',
    /** A local folder inside the server's allowed folders, to back up: `top.txt`,
     * `docs/notes ü +%.txt`, `docs/skip.tmp` and, with `bigCount`, `big/f-00000.txt`… */
    src: get('COFFER_BACKUP_SRC') ?? '',
    /** A local folder inside the allowed folders to restore into (made if missing). */
    restore: get('COFFER_BACKUP_RESTORE') ?? '',
    /** Files in `src/big` (0: none). */
    bigCount: Number(get('COFFER_BACKUP_BIG_COUNT') ?? 0),
  },
  /** Object versions (versions.e2e.ts): a profile on a server with versioning (moto in
   * CI), a bucket with versioning on and a key with three versions (6, 15 and 26 bytes,
   * oldest first). */
  versions: {
    profile: get('COFFER_VERSIONS_PROFILE') ?? '',
    bucket: get('COFFER_VERSIONS_BUCKET') ?? '',
    key: get('COFFER_VERSIONS_KEY') ?? '',
  },
  /** Share links (shares.e2e.ts; skipped without them): on `profile`, the links the
   * harness made with the CLI before the browser starts, in `bucket`: one valid for an
   * hour to `liveKey`, one already expired to `expiredKey`. The flow also uploads an
   * object of its own into `bucket` (the env's, above) and shares it. */
  shares: {
    bucket: get('COFFER_SHARES_BUCKET') ?? '',
    liveKey: get('COFFER_SHARES_LIVE_KEY') ?? '',
    expiredKey: get('COFFER_SHARES_EXPIRED_KEY') ?? '',
  },
  /** The local index (index.e2e.ts; skipped without it): a bucket on `profile` holding
   * exactly `docs/a.txt`, `docs/b.jpg`, `docs/deep/c.jpg`, `photos/2024/x.jpg`,
   * `photos/2024/y.png` and `top.jpg`, without an index when the browser starts. */
  index: {
    bucket: get('COFFER_INDEX_BUCKET') ?? '',
  },
  /** Replication (replication.e2e.ts; skipped without both): `db`, the absolute path
   * of an existing SQLite database (WAL mode) that a background writer keeps writing,
   * inside the server's allowed folders (the restore goes next to it); `bucket`, an
   * empty bucket of `profile` for its replica. */
  replication: {
    db: get('COFFER_REPL_DB') ?? '',
    bucket: get('COFFER_REPL_BUCKET') ?? '',
  },
  artifacts: get('COFFER_ARTIFACTS') ?? join(tmpdir(), 'coffer-e2e-artifacts'),
  s3: {
    endpoint: get('COFFER_S3_ENDPOINT'),
    keyId: get('COFFER_S3_KEY_ID'),
    secret: get('COFFER_S3_SECRET'),
    region: get('COFFER_S3_REGION'),
  },
  chromium: get('CHROMIUM') ?? '/usr/bin/chromium',
};

export const enabled = !!env.url;

export function artifactsDir(): string {
  mkdirSync(env.artifacts, { recursive: true });
  return env.artifacts;
}
