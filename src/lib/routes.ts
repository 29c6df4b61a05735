// The paths the relay answers itself. One list, read by the HTTP handler (routing) and by the
// config parser (a `--path` on one of them would turn every Telnyx POST into a 405).

/** Liveness: 200 while the process serves. */
export const HEALTH_PATH = "/healthz";
/** Readiness: 200 while the sink can take events, else 503. */
export const READY_PATH = "/readyz";
/** Prometheus text. */
export const METRICS_PATH = "/metrics";

/**
 * Every path the relay answers itself, which `--path` must not take.
 *
 * @example
 * ```ts
 * RESERVED_PATHS.includes("/readyz"); // true
 * ```
 */
export const RESERVED_PATHS: readonly string[] = [HEALTH_PATH, READY_PATH, METRICS_PATH];
