// What the app exposes on window for tests (see src/lib/perf.ts).
export {};

declare global {
  interface Window {
    __cofferPerf?: {
      lastListClickAt: number | null;
      firstPageRenderedAt: number | null;
      domRowCount(): number;
    };
  }
}
