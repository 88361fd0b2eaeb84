// The controllers' scheduling primitives: a deduplicating work queue drained after the current
// store write returns (store listeners run synchronously, so reacting inside them would nest
// writes), and named per-object timers on the injected clock.
import type { CancelTimer, Clock } from '../../util/clock.ts';

export type ErrorSink = (error: unknown, key: string) => void;

export class WorkQueue {
  readonly #pending = new Set<string>();
  #scheduled = false;
  #closed = false;

  constructor(
    private readonly process: (key: string) => void,
    private readonly onError: ErrorSink,
  ) {}

  add(key: string): void {
    if (this.#closed) return;
    this.#pending.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#drain());
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
  }

  #drain(): void {
    this.#scheduled = false;
    for (const key of this.#pending) {
      this.#pending.delete(key);
      if (this.#closed) return;
      try {
        this.process(key);
      } catch (error) {
        this.onError(error, key);
      }
    }
  }
}

/** At most one pending timer per key; scheduling a different step replaces it, scheduling the
 *  same step again keeps the original deadline. */
export class StepTimers {
  readonly #timers = new Map<string, { step: string; cancel: CancelTimer }>();

  constructor(private readonly clock: Clock) {}

  schedule(key: string, step: string, delayMs: number, run: () => void): void {
    const current = this.#timers.get(key);
    if (current?.step === step) return;
    current?.cancel();
    const cancel = this.clock.setTimeout(() => {
      if (this.#timers.get(key)?.cancel !== cancel) return;
      this.#timers.delete(key);
      run();
    }, delayMs);
    this.#timers.set(key, { step, cancel });
  }

  cancel(key: string): void {
    this.#timers.get(key)?.cancel();
    this.#timers.delete(key);
  }

  pendingStep(key: string): string | undefined {
    return this.#timers.get(key)?.step;
  }

  clear(): void {
    for (const { cancel } of this.#timers.values()) cancel();
    this.#timers.clear();
  }
}
