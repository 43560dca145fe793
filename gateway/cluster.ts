import cluster, { type Worker } from 'node:cluster';

/**
 * `tollgate serve --workers N` (docs/gateway.md, "Workers"): the primary forks N workers with node:cluster;
 * each runs the whole gateway (its own engine and stores) and listens on the same port, and the primary
 * hands connections out round-robin. The primary serves nothing itself: it repairs the decision log's
 * torn tail once before the workers open it (they all append to that one file with O_APPEND, whole lines
 * per write), prints one line when every worker listens, restarts a worker that dies, and on SIGINT/SIGTERM
 * asks every worker to stop (each finishes its in-flight requests and flushes its log) and waits for them.
 */

/** True in a worker forked by {@link runPrimary}. */
export const isClusterWorker = (): boolean => cluster.isWorker;

interface Listening {
  type: 'tollgate:listening';
  url: string;
}

/**
 * Ends a worker once its gateway has closed (log flushed): the IPC channel to the primary and pooled
 * upstream connections would otherwise keep the process alive.
 */
export function exitWorker(): void {
  process.exit(0);
}

/** Called by a worker once its gateway listens (the primary prints one line when all have). */
export function reportListening(url: string): void {
  process.send?.({ type: 'tollgate:listening', url } satisfies Listening);
}

export interface PrimaryOptions {
  workers: number;
  /** Runs before the first fork (e.g. repair the decision log's torn tail). */
  beforeFork?: () => Promise<unknown>;
  /** Called once, with the URL, when every worker listens. */
  onListening: (url: string) => void;
  onWorkerExit?: (message: string) => void;
  /** Resolves when the fleet should stop (a signal). */
  untilStop: () => Promise<void>;
}

/** The primary's whole life: fork, watch, stop. Resolves once every worker has exited. */
export async function runPrimary(o: PrimaryOptions): Promise<void> {
  await o.beforeFork?.();
  let stopping = false;
  let announced = false;
  const listening = new Set<number>();
  let url = '';
  const startOne = (): Worker => {
    const w = cluster.fork({ TOLLGATE_WORKER: '1' });
    w.on('message', (m: Listening) => {
      if (m?.type !== 'tollgate:listening') return;
      listening.add(w.id);
      url = m.url;
      if (!announced && listening.size >= o.workers) {
        announced = true;
        o.onListening(url);
      }
    });
    w.on('exit', (code, signal) => {
      listening.delete(w.id);
      if (stopping) return;
      o.onWorkerExit?.(`worker ${w.process.pid} exited (${signal ?? code}); starting another`);
      startOne();
    });
    return w;
  };
  // Ready before the workers, so that no worker exits while the primary is still starting the rest.
  for (let i = 0; i < o.workers; i++) startOne();
  await o.untilStop();
  stopping = true;
  const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
  await Promise.all(
    alive.map(
      (w) =>
        new Promise<void>((resolve) => {
          // A worker that has not stopped 30 s after SIGTERM (its grace for in-flight requests is 10 s) is killed.
          const force = setTimeout(() => w.process.kill('SIGKILL'), 30_000);
          w.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          w.process.kill('SIGTERM');
        }),
    ),
  );
}
