// "Objects changed here": uploads and jobs that finish tell the open listing to reload.

export interface Change {
  profile: string;
  bucket: string;
  /** The key (or prefix) that changed. */
  key: string;
}

type Listener = (change: Change) => void;
const listeners = new Set<Listener>();

export function notifyChanged(change: Change): void {
  for (const l of listeners) l(change);
}

export function onChanged(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether a change under `key` shows in the listing of `prefix` (one level). */
export function affectsListing(change: Change, profile: string, bucket: string, prefix: string): boolean {
  return change.profile === profile && change.bucket === bucket && change.key.startsWith(prefix);
}
