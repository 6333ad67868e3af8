// Light and dark themes; "system" follows the OS (prefers-color-scheme).

import type { Theme } from './types';

const KEY = 'coffer.theme';

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    /* not remembered */
  }
}

/** The theme chosen last time, applied before the settings arrive (no flash). */
export function applySavedTheme(): void {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(KEY);
  } catch {
    /* none */
  }
  if (saved === 'light' || saved === 'dark' || saved === 'system') applyTheme(saved);
}
