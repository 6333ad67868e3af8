// Hooks for the first-page benchmark: `window.__cofferPerf`.

export interface CofferPerf {
  /** performance.now() when the user last opened a bucket or folder. */
  lastListClickAt: number | null;
  /** performance.now() when the first page of that listing was painted. */
  firstPageRenderedAt: number | null;
  /** Object rows in the DOM now. */
  domRowCount(): number;
}

declare global {
  interface Window {
    __cofferPerf?: CofferPerf;
  }
}

export const perf: CofferPerf = {
  lastListClickAt: null,
  firstPageRenderedAt: null,
  domRowCount: () => document.querySelectorAll('[data-testid="row"]').length,
};

export function installPerf(): void {
  window.__cofferPerf = perf;
}

export function markListClick(): void {
  perf.lastListClickAt = performance.now();
  perf.firstPageRenderedAt = null;
}

/** Call after the first page's DOM update: marks once the frame is painted. */
export function markFirstPagePainted(): void {
  let done = false;
  const mark = () => {
    if (done) return;
    done = true;
    perf.firstPageRenderedAt = performance.now();
    performance.mark('coffer:first-page');
  };
  // The rAF callback runs before the paint; a task queued from it runs after. A page
  // that is not visible gets no frames: the timeout marks it anyway.
  requestAnimationFrame(() => setTimeout(mark, 0));
  setTimeout(mark, 250);
}
