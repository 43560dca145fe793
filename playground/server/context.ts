import type { LogViews } from './log-views.js';
import type { RunRegistry } from './runs.js';
import type { TraceStore } from './trace-store.js';

/** What every API route shares. */
export interface PlaygroundContext {
  traces: TraceStore;
  runs: RunRegistry;
  /** Views of the decision log given with `--log`, when one was. */
  log?: LogViews;
  /** Largest uploaded trace, bytes. */
  uploadLimit: number;
}
