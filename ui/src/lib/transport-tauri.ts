// The desktop transport: commands of the Tauri shell, over IPC.

import { Channel, invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { toApiError } from './errors';
import { apiEventOf, type EventHandlers, type JsonRequest, type Transport } from './transport';

export function isTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** A command of the shell; rejects with an ApiError (`{code, message}`). */
export async function command<T>(name: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(name, args);
  } catch (e) {
    throw toApiError(e);
  }
}

export class TauriTransport implements Transport {
  readonly kind = 'tauri' as const;

  json<T>(request: JsonRequest): Promise<T> {
    // `headers` stay behind: the shell's `api_json` takes none (see JsonRequest).
    const { method, path, query, body } = request;
    return command<T>('api_json', { request: { method, path, query, body } });
  }

  async bytes(path: string, query: Record<string, string>, rangeEnd?: number): Promise<ArrayBuffer> {
    const answer = await command<ArrayBuffer | number[]>('api_bytes', { request: { path, query, rangeEnd } });
    // A raw `tauri::ipc::Response` arrives as an ArrayBuffer; a serialized Vec<u8> as numbers.
    return Array.isArray(answer) ? new Uint8Array(answer).buffer : answer;
  }

  subscribe(handlers: EventHandlers): () => void {
    let active = true;
    // Each message is `{stream: "job", data}`, like SSE's event name; other streams
    // are skipped.
    const channel = new Channel<{ stream?: unknown; data?: unknown } | null>();
    channel.onmessage = (message) => {
      const event = apiEventOf(message?.stream, message?.data);
      if (active && event) handlers.onEvent(event);
    };
    // The command may resolve at once or live as long as the stream: either way the
    // job list is reloaded now, so nothing from before the subscription is missed.
    command('api_events', { onEvent: channel }).catch(() => undefined);
    handlers.onOpen?.();
    return () => {
      active = false;
    };
  }
}

/** The native folder dialog; null when dismissed. */
export function chooseFolder(): Promise<string | null> {
  return command<string | null>('choose_folder');
}

/** The native dialog for files (or folders) to upload; empty when dismissed. */
export function chooseFiles(folders: boolean): Promise<string[]> {
  return invoke<string[]>('choose_files', { folders });
}

/** Whether each local path is a folder, if the shell can tell (`path_kinds`). */
export async function pathKinds(paths: string[]): Promise<('file' | 'dir')[] | null> {
  try {
    return await invoke<('file' | 'dir')[]>('path_kinds', { paths });
  } catch {
    return null;
  }
}

export type NativeDragKind = 'enter' | 'over' | 'leave' | 'drop';
export interface NativeDrag {
  kind: NativeDragKind;
  paths: string[];
}

/** OS drag-and-drop over the window (files and folders from the file manager). */
export async function listenNativeDrag(handler: (drag: NativeDrag) => void): Promise<UnlistenFn> {
  type Payload = { paths?: string[] } | null;
  const names: [NativeDragKind, string][] = [
    ['enter', 'tauri://drag-enter'],
    ['over', 'tauri://drag-over'],
    ['leave', 'tauri://drag-leave'],
    ['drop', 'tauri://drag-drop'],
  ];
  const offs = await Promise.all(
    names.map(([kind, name]) =>
      listen<Payload>(name, (e) => handler({ kind, paths: e.payload?.paths ?? [] })),
    ),
  );
  return () => offs.forEach((off) => off());
}
