// Copies text to the clipboard; false when the browser refuses.

import { invoke } from '@tauri-apps/api/core';
import { isTauri } from './transport-tauri';

/** How long the async clipboard may take: WebKitGTK can leave the promise pending. */
const WRITE_TIMEOUT_MS = 1500;

export async function copyText(text: string): Promise<boolean> {
  if (isTauri()) {
    // The desktop app writes through the native clipboard (the clipboard-manager
    // plugin; only `write_text` is granted).
    try {
      await invoke('plugin:clipboard-manager|write_text', { text });
      return true;
    } catch {
      return false;
    }
  }
  try {
    await Promise.race([
      navigator.clipboard.writeText(text),
      new Promise((_, reject) => setTimeout(() => reject(new Error('clipboard timeout')), WRITE_TIMEOUT_MS)),
    ]);
    return true;
  } catch {
    // Older webviews or no permission: the legacy way, from a hidden textarea.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}
