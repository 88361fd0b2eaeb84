// Watch caches we own (STYLE.md rule 9): list, then watch from the list's resourceVersion; relist
// on 410; restart after errors with capped, jittered backoff; a synced signal for readiness.
// client-node's ListWatch stops on the first error and re-watches in a tight loop, hence our own.
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Clock, CancelTimer } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import type { Meta, ObjectList } from './types.ts';

export type InformerEventType = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends { metadata: Meta }> {
  readonly clients: KubeClients;
  /** Metric label, e.g. `virtualmachines`. */
  readonly resource: string;
  /** Collection path, e.g. `/apis/kubevirt.io/v1/namespaces/demo-a/virtualmachines`. */
  readonly path: string;
  readonly labelSelector?: string;
  /** Applied to every object before it is cached: what the service never reads need not be
   *  held (at 10,000 VMs the cache is most of the process's memory). */
  readonly transform?: (object: T) => T;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called after the cache changed; `object` is the cached (or last known) object. */
  readonly onEvent?: (type: InformerEventType, object: T) => void;
  /** Called whenever the informer's synced/connected state changes. */
  readonly onStateChange?: () => void;
  /** Grace for a disconnected watch before isCurrent() turns false (default 10 s). */
  readonly staleAfterMs?: number;
}

/** Backoff bounds: the first retry after ~0.25 s, never more than 1.5 s apart. A failing list
 *  or watch is one cheap request, and the cap is what bounds how long serving stays down after
 *  the API server returns (issue 11: resuming must take under 2 s, not 13.5 s). */
const backoffBaseMs = 250;
const backoffCapMs = 1_500;
/** How long a dropped watch may stay down before the cache counts as stale: a short drop (an API
 *  server restart, a load-balancer cutting idle streams) keeps answering from the cache. */
export const defaultStaleAfterMs = 10_000;
/** A watch that closes sooner than this without delivering anything counts as a failure, so a
 *  server that keeps hanging up does not make us spin. */
const minHealthyWatchMs = 1_000;

interface WatchEvent {
  type?: string;
  object?: { metadata?: Meta; code?: number };
}

/** Objects per LIST page (the API server's own default chunk size for its clients is 500). */
const listPageSize = 500;

export class Informer<T extends { metadata: Meta }> {
  readonly #o: InformerOptions<T>;
  #objects = new Map<string, T>();
  #resourceVersion = '';
  #synced = false;
  #connected = false;
  #stopped = true;
  #failures = 0;
  /** When the watch was last seen open (clock time); the grace of isCurrent() counts from it. */
  #lastConnectedAt = 0;
  #generation = 0;
  #abort: AbortController | undefined;
  #retry: CancelTimer | undefined;
  #waiters: (() => void)[] = [];

  constructor(options: InformerOptions<T>) {
    this.#o = options;
  }

  /** Starts listing and watching; returns at once (use waitForSync to wait for the cache). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#run(this.#generation);
  }

  stop(): void {
    this.#stopped = true;
    this.#generation++;
    this.#retry?.();
    this.#retry = undefined;
    this.#abort?.abort();
    this.#abort = undefined;
    this.#setState(this.#synced, false);
  }

  /** True once a list has completed (the cache holds a full, if possibly stale, picture). */
  isSynced(): boolean {
    return this.#synced;
  }

  /** True while the watch stream is open (false while the API server is unreachable). */
  isConnected(): boolean {
    return this.#connected;
  }

  /** True while the cache may be served as current: synced, and its watch open or dropped for
   *  less than the grace period (the watch restarts meanwhile; nothing is lost, it resumes from
   *  its resourceVersion or relists). */
  isCurrent(): boolean {
    if (!this.#synced || this.#stopped) return false;
    if (this.#connected) return true;
    const grace = this.#o.staleAfterMs ?? defaultStaleAfterMs;
    return this.#lastConnectedAt > 0 && this.#o.clock.now() - this.#lastConnectedAt < grace;
  }

  /** Resolves once the cache has listed and its watch is open (the informer is live). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced && this.#connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void =>
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  get(name: string): T | undefined {
    return this.#objects.get(name);
  }

  list(): readonly T[] {
    return [...this.#objects.values()];
  }

  async #run(generation: number): Promise<void> {
    if (generation !== this.#generation) return;
    try {
      if (!this.#resourceVersion) await this.#relist();
    } catch (error) {
      this.#fail(generation, error);
      return;
    }
    if (generation !== this.#generation) return;
    this.#watch(generation);
  }

  async #relist(): Promise<void> {
    const transform = this.#o.transform ?? ((item: T) => item);
    const fresh = new Map<string, T>();
    let resourceVersion: string;
    let next: string | undefined;
    // In pages: one LIST of 10,000 VMs is a 15 MB body whose text and parsed form were held at
    // once, and the heap (hence RSS) kept that peak (issue 12). The pages of one list are one
    // consistent snapshot at the first page's resourceVersion; an expired continue token fails
    // the relist like any other error (retried with backoff).
    do {
      const query = new URLSearchParams({ limit: String(listPageSize) });
      if (this.#o.labelSelector) query.set('labelSelector', this.#o.labelSelector);
      if (next !== undefined) query.set('continue', next);
      const page = JSON.parse(
        await this.#o.clients.request('GET', `${this.#o.path}?${query.toString()}`),
      ) as ObjectList<T>;
      for (const item of page.items) fresh.set(item.metadata.name, transform(item));
      resourceVersion = page.metadata?.resourceVersion ?? '';
      next = page.metadata?.continue || undefined;
    } while (next !== undefined);
    const previous = this.#objects;
    this.#objects = fresh;
    this.#resourceVersion = resourceVersion;
    for (const [name, old] of previous) {
      if (!fresh.has(name)) this.#o.onEvent?.('delete', old);
    }
    for (const [name, item] of fresh) {
      const old = previous.get(name);
      if (!old) this.#o.onEvent?.('add', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) {
        this.#o.onEvent?.('update', item);
      }
    }
    if (!this.#synced) {
      this.#o.logger.debug({ resource: this.#o.resource, path: this.#o.path }, 'informer synced');
      this.#setState(true, this.#connected);
    }
  }

  #watch(generation: number): void {
    const startedAt = this.#o.clock.now();
    let delivered = false;
    const query: Record<string, string> = {
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: 'true',
    };
    if (this.#o.labelSelector) query.labelSelector = this.#o.labelSelector;
    const onEvent = (type: string, object: unknown): void => {
      if (generation !== this.#generation) return;
      delivered = true;
      this.#apply({ type, object: object as NonNullable<WatchEvent['object']> });
    };
    const onDone = (error: unknown): void => {
      if (generation !== this.#generation) return;
      this.#abort = undefined;
      if (error) return this.#fail(generation, error);
      const healthy = delivered || this.#o.clock.now() - startedAt >= minHealthyWatchMs;
      if (!healthy) return this.#fail(generation, new Error('watch closed at once'));
      // A normal close (server timeout, bookmark rotation): resume from where we were.
      void this.#run(generation);
    };
    this.#o.clients.watch
      .watch(this.#o.path, query, onEvent, onDone)
      .then((controller) => {
        if (generation !== this.#generation) {
          controller.abort();
          return;
        }
        this.#abort = controller;
        if (!controller.signal.aborted) {
          this.#o.clients.count('watch', this.#o.resource, '200');
          this.#failures = 0;
          this.#setState(this.#synced, true);
        }
      })
      .catch((error: unknown) => this.#fail(generation, error));
  }

  #apply(event: WatchEvent): void {
    const object = event.object;
    if (event.type === 'ERROR') {
      // 410 Gone as an event: our version left the server's window; relist when the stream ends.
      if (object?.code === 410) {
        this.#resourceVersion = '';
        this.#o.metrics.informerRestarts.inc({ resource: this.#o.resource });
      }
      return;
    }
    const meta = object?.metadata;
    if (!meta) return;
    if (meta.resourceVersion) this.#resourceVersion = meta.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    const typed = this.#o.transform
      ? this.#o.transform(object as unknown as T)
      : (object as unknown as T);
    if (event.type === 'DELETED') {
      this.#objects.delete(meta.name);
      this.#o.onEvent?.('delete', typed);
    } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      const existed = this.#objects.has(meta.name);
      this.#objects.set(meta.name, typed);
      this.#o.onEvent?.(existed ? 'update' : 'add', typed);
    }
  }

  #fail(generation: number, error: unknown): void {
    if (generation !== this.#generation || this.#stopped) return;
    const code =
      (error as { statusCode?: number; code?: unknown }).statusCode ??
      (typeof (error as { code?: unknown }).code === 'number'
        ? (error as { code: number }).code
        : undefined);
    this.#o.clients.count('watch', this.#o.resource, code === undefined ? 'error' : String(code));
    this.#o.metrics.informerRestarts.inc({ resource: this.#o.resource });
    if (code === 410) {
      // Expired resourceVersion: relist at once, that is the cure and it is cheap.
      this.#resourceVersion = '';
      void this.#run(generation);
      return;
    }
    this.#failures++;
    this.#setState(this.#synced, false);
    const ceiling = Math.min(backoffCapMs, backoffBaseMs * 2 ** (this.#failures - 1));
    const delay = Math.round(ceiling / 2 + (ceiling / 2) * this.#o.random());
    // Retries come every second or so during an outage: warn on the first and then on every
    // power of two, so a long outage (or a missing RBAC grant) does not flood the log.
    const level = (this.#failures & (this.#failures - 1)) === 0 ? 'warn' : 'debug';
    this.#o.logger[level](
      {
        resource: this.#o.resource,
        path: this.#o.path,
        failures: this.#failures,
        delayMs: delay,
        err: String(error),
      },
      'informer watch failed; restarting',
    );
    this.#retry = this.#o.clock.setTimeout(() => {
      this.#retry = undefined;
      void this.#run(generation);
    }, delay);
  }

  #setState(synced: boolean, connected: boolean): void {
    if (this.#connected || connected) this.#lastConnectedAt = this.#o.clock.now();
    const changed = synced !== this.#synced || connected !== this.#connected;
    this.#synced = synced;
    this.#connected = connected;
    if (changed) this.#o.onStateChange?.();
    if (synced && connected && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
