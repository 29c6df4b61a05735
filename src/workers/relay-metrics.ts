import { sumExpositions } from "../lib/exposition.ts";
import type { WorkerLink } from "./serve-worker.ts";

/** The whole relay's metrics, in the main process: its own, its workers', and those of workers gone. */
export interface RelayMetrics {
  /** Counts a worker in, until its channel closes; its last metrics then stay in the total. */
  add(link: WorkerLink): void;
  /** Asks every worker for its metrics, and resolves with the sum of all (Prometheus text). */
  scrape(): Promise<string>;
}

/**
 * Sums the metrics of every process of the relay, so that a scrape of any of them describes the
 * whole relay, as it would with one process. A sum, not a series per worker: the exposition stays
 * the same whatever `--workers` is (dashboards and alerts need no change), and a worker that is
 * restarted does not start new series. Counters stay monotonic across a worker's restart: what it
 * had counted is kept, as last received (its final push when it stops; at most a second's worth is
 * lost when it is killed outright).
 *
 * @param own The main process's own metrics.
 * @param pullTimeoutMs How long a scrape waits for each worker (then uses the last it sent).
 * @returns The view.
 * @example
 * ```ts
 * const view = createRelayMetrics(() => metrics.render(), 1_000);
 * view.add(serveWorker(channel, services, events, Date.now));
 * const text = await view.scrape();
 * ```
 */
export function createRelayMetrics(own: () => string, pullTimeoutMs: number): RelayMetrics {
  const links = new Set<WorkerLink>();
  // The sum of the last metrics of the workers that have exited.
  let departed = "";
  return {
    add(link) {
      links.add(link);
      void link.closed.then(() => {
        links.delete(link);
        const last = link.lastMetrics();
        if (last !== undefined) departed = sumExpositions([departed, last]);
      });
    },
    async scrape() {
      await Promise.all([...links].map((link) => link.pullMetrics(pullTimeoutMs)));
      // Read once they all answered, in one go: a worker whose channel closed meanwhile is counted
      // once, in `departed`, not also as live.
      return sumExpositions([own(), departed, ...[...links].map((link) => link.lastMetrics() ?? "")]);
    },
  };
}
