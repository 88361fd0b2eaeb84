// Read-your-writes over watch caches. Every GET is answered from the informer caches, which learn
// of a write only when its watch event arrives; a client that PATCHes and at once GETs (Ironic
// does exactly that for the boot mode) must see its change. So a write answers once the cache
// shows it — with a bound, because a lagging watch must not hang the request.
import type { Clock } from '../util/clock.ts';

/** How long a write waits for the cache before answering anyway. */
export const defaultCatchUpMs = 3_000;

interface Waiter {
  readonly check: () => boolean;
  readonly settle: (caughtUp: boolean) => void;
}

export class CacheWaiters {
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Resolves true as soon as `check()` holds (tested now and after every cache change), or
   *  false after `timeoutMs`. A throwing check counts as not yet. */
  until(check: () => boolean, timeoutMs = defaultCatchUpMs): Promise<boolean> {
    if (safely(check)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const cancel = this.#clock.setTimeout(() => waiter.settle(false), timeoutMs);
      const waiter: Waiter = {
        check,
        settle: (caughtUp) => {
          this.#waiters.delete(waiter);
          cancel();
          resolve(caughtUp);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Tells the waiters that a cache changed. */
  changed(): void {
    for (const waiter of [...this.#waiters]) if (safely(waiter.check)) waiter.settle(true);
  }

  /** Releases every waiter (the backend is stopping). */
  releaseAll(): void {
    for (const waiter of [...this.#waiters]) waiter.settle(false);
  }
}

const safely = (check: () => boolean): boolean => {
  try {
    return check();
  } catch {
    return false;
  }
};
