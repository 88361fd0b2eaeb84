// Injected time: production uses the system clock; tests and the simulator can use a manual
// clock and say "advance 30 s" instead of sleeping (STYLE.md rule 10).

export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` after `ms` milliseconds of this clock's time. */
  setTimeout(callback: () => void, ms: number): CancelTimer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

interface PendingTimer {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** A clock that only moves when told to. Timers due on advance() run in due order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: PendingTimer[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): CancelTimer {
    const timer: PendingTimer = { due: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward, running each due timer at its own instant, and lets promises settle
   *  between timers so chains of timers behave as they would in real time. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#timers
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = next.due;
      next.callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = target;
  }

  /** Number of timers not yet run. */
  get pending(): number {
    return this.#timers.length;
  }
}

/** A deterministic pseudo-random source (mulberry32), so seeded scenarios repeat exactly. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};
