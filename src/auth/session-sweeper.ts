// Periodic removal of sessions that timed out without being used again. A client that never
// logs out (sushy only does when its object is collected) would otherwise leave its session
// Secret in the cluster for ever. Only the replica holding the leader Lease sweeps (deletes are
// idempotent, so a sweep overlapping a leadership change costs a few redundant calls at most).
import type { Logger } from 'pino';
import type { Clock } from '../util/clock.ts';
import type { SessionManager } from './sessions.ts';

export const defaultSweepIntervalMs = 5 * 60_000;

/** Starts sweeping every `intervalMs` (jittered by up to 10 % so replicas spread out); returns a
 *  function that stops it. */
export const startSessionSweeper = (options: {
  readonly sessions: SessionManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly random?: () => number;
  /** Whether this replica holds the leader Lease; absent = always (a single instance). */
  readonly isLeader?: () => boolean;
}): (() => void) => {
  const interval = options.intervalMs ?? defaultSweepIntervalMs;
  const random = options.random ?? Math.random;
  let stopped = false;
  let cancel: (() => void) | undefined;
  const schedule = () => {
    if (stopped) return;
    cancel = options.clock.setTimeout(sweep, interval * (1 + random() / 10));
  };
  const sweep = () => {
    if (options.isLeader?.() === false) {
      schedule();
      return;
    }
    options.sessions.sweepExpired().then(
      (removed) => {
        if (removed > 0) options.logger.info({ removed }, 'expired sessions removed');
        schedule();
      },
      (error: unknown) => {
        options.logger.warn({ err: error }, 'removing expired sessions failed; will retry');
        schedule();
      },
    );
  };
  schedule();
  return () => {
    stopped = true;
    cancel?.();
  };
};
