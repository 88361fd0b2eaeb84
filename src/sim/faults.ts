// Fault switches the simulated API server consults, so tests can break the API the ways a real
// cluster breaks: dropped watches, compacted history (410), write conflicts, latency, outages.
import type { Clock } from '../util/clock.ts';

/** Events the API server reacts to at once (the other switches are read per request). */
export type FaultAction = 'dropWatches' | 'expireResourceVersions';

export interface Faults {
  /** Added before every request is answered (milliseconds of the injected clock). */
  latencyMs: number;
  /** How late every watch event reaches its watchers (a lagging watch cache). */
  watchDelayMs: number;
  /** Ends every open watch stream now (a clean end of the chunked response). */
  dropAllWatches(): void;
  /** Treats every resourceVersion up to now as compacted: open watches get an ERROR 410 event,
   *  later watches and continue tokens from an older version get 410 Expired. */
  expireResourceVersions(): void;
  /** The next `count` write requests fail with `code` (409 Conflict by default). */
  failNextWrites(count: number, code?: number): void;
  /** Every request is answered 503 ServiceUnavailable (with Retry-After) for `ms`. */
  unavailableFor(ms: number): void;
  /** New connections are destroyed at once for `ms`. */
  refuseConnectionsFor(ms: number): void;
  /** Turns every switch off. */
  clear(): void;

  /** For the server: the status code the next write must fail with, consuming one failure. */
  takeWriteFailure(): number | undefined;
  /** For the server: milliseconds left of an outage, or 0. */
  unavailableRemainingMs(): number;
  /** For the server: whether connections are being refused now. */
  refusingConnections(): boolean;
  /** For the server: called on dropAllWatches / expireResourceVersions. */
  subscribe(listener: (action: FaultAction) => void): () => void;
}

export const createFaults = (options: { clock: Clock }): Faults => {
  const { clock } = options;
  const listeners = new Set<(action: FaultAction) => void>();
  let failures: number[] = [];
  let unavailableUntil = 0;
  let refuseUntil = 0;
  const notify = (action: FaultAction) => {
    for (const listener of [...listeners]) listener(action);
  };
  return {
    latencyMs: 0,
    watchDelayMs: 0,
    dropAllWatches: () => notify('dropWatches'),
    expireResourceVersions: () => notify('expireResourceVersions'),
    failNextWrites(count, code = 409) {
      failures = [...failures, ...Array.from({ length: count }, () => code)];
    },
    unavailableFor(ms) {
      unavailableUntil = clock.now() + ms;
    },
    refuseConnectionsFor(ms) {
      refuseUntil = clock.now() + ms;
    },
    clear() {
      this.latencyMs = 0;
      this.watchDelayMs = 0;
      failures = [];
      unavailableUntil = 0;
      refuseUntil = 0;
    },
    takeWriteFailure: () => failures.shift(),
    unavailableRemainingMs: () => Math.max(0, unavailableUntil - clock.now()),
    refusingConnections: () => clock.now() < refuseUntil,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
};
