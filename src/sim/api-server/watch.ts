// Watch streams: chunked newline-delimited {type, object} events with resume from a
// resourceVersion, selector-aware ADDED/DELETED transitions, bookmarks, WatchList initial events,
// timeoutSeconds and 410 Expired as an ERROR event, as kube-apiserver's watch cache serves them.
import type { ServerResponse } from 'node:http';
import type { Clock } from '../../util/clock.ts';
import type { KubeObject, ObjectStore, StoreEvent } from '../types.ts';
import { StatusError } from '../types.ts';
import type { ServedType } from '../resource-types.ts';
import { apiVersionOf } from '../resource-types.ts';
import type { Selector } from './selectors.ts';
import type { TableRequest } from './table.ts';
import { toTable } from './table.ts';
import { statusBody } from './status.ts';

export interface WatchParams {
  readonly type: ServedType;
  readonly namespace: string | undefined;
  /** null or '0': start with ADDED for every current object. */
  readonly resourceVersion: string | null;
  readonly matches: Selector;
  readonly bookmarks: boolean;
  readonly timeoutSeconds: number;
  /** WatchList: ADDED for every object, then a bookmark marking the end of initial events. */
  readonly sendInitialEvents: boolean;
  readonly table: TableRequest | undefined;
}

export interface WatchHub {
  start(res: ServerResponse, params: WatchParams): void;
  /** Ends every stream cleanly (faults.dropAllWatches, server close). */
  endAll(): void;
  /** Sends ERROR 410 on every stream and ends it (faults.expireResourceVersions). */
  expireAll(): void;
  readonly size: number;
}

/** How often a watch that allows bookmarks receives one (the watch cache sends ~1/min). */
const bookmarkIntervalMs = 60_000;

export const createWatchHub = (options: {
  store: ObjectStore;
  clock: Clock;
  /** Resource versions below this are treated as compacted (fault switch). */
  expiredThrough: () => number;
  /** How late watch events reach clients (fault switch: a lagging watch cache). */
  eventDelayMs?: () => number;
}): WatchHub => {
  const { store, clock } = options;
  const open = new Set<{ end(): void; expire(): void }>();
  // Stored objects are frozen, so one serialisation serves every watcher that sends the object:
  // with 100 watches a burst of changes is stringified once per change, not 100 times.
  const serialised = new WeakMap<KubeObject, string>();
  const json = (object: KubeObject): string => {
    let text = serialised.get(object);
    if (text === undefined) {
      text = JSON.stringify(object);
      if (Object.isFrozen(object)) serialised.set(object, text);
    }
    return text;
  };

  const tooOld = (rv: number) =>
    new StatusError(
      'Expired',
      `too old resource version: ${rv} (${Math.max(options.expiredThrough(), 0) + 1})`,
    );

  const start = (res: ServerResponse, params: WatchParams): void => {
    const { type } = params;
    let firstTable = true;
    let ended = false;
    const cancels: (() => void)[] = [];

    const write = (eventType: string, object: unknown) => {
      if (ended) return;
      res.write(`${JSON.stringify({ type: eventType, object })}\n`);
    };
    const writeObject = (eventType: string, object: KubeObject) => {
      if (!params.table) {
        // The bytes JSON.stringify({ type, object }) would give.
        if (!ended) res.write(`{"type":${JSON.stringify(eventType)},"object":${json(object)}}\n`);
        return;
      }
      write(
        eventType,
        toTable(type, [object], params.table, {
          now: clock.now(),
          listMeta: { resourceVersion: object.metadata.resourceVersion },
          withColumns: firstTable,
        }),
      );
      firstTable = false;
    };
    const bookmark = (annotations?: Record<string, string>) =>
      write('BOOKMARK', {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: {
          resourceVersion: store.currentResourceVersion(),
          ...(annotations ? { annotations } : {}),
        },
      });
    const inScope = (object: KubeObject | undefined): boolean =>
      object !== undefined &&
      (params.namespace === undefined || object.metadata.namespace === params.namespace) &&
      params.matches(object);
    // A change that moves an object into or out of the selection is an ADDED or DELETED for this
    // watcher (the watch cache's filter semantics).
    const deliver = (event: StoreEvent) => {
      if (event.typeKey !== type.key) return;
      const now = inScope(event.object);
      const before = event.type === 'MODIFIED' && inScope(event.previous);
      if (event.type === 'ADDED' && now) writeObject('ADDED', event.object);
      else if (event.type === 'DELETED' && now) writeObject('DELETED', event.object);
      else if (event.type === 'MODIFIED') {
        if (now && before) writeObject('MODIFIED', event.object);
        else if (now) writeObject('ADDED', event.object);
        else if (before) writeObject('DELETED', event.object);
      }
    };
    const end = () => {
      if (ended) return;
      ended = true;
      for (const cancel of cancels) cancel();
      open.delete(handle);
      res.end();
    };
    const expire = () => {
      write('ERROR', statusBody(tooOld(options.expiredThrough())));
      end();
    };
    const handle = { end, expire };

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    res.on('close', end);
    open.add(handle);

    const rv = params.resourceVersion;
    if (params.sendInitialEvents || rv === null || rv === '' || rv === '0') {
      for (const object of store.listShared(type.key, params.namespace).items) {
        if (inScope(object)) writeObject('ADDED', object);
      }
      if (params.sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      let replay: readonly StoreEvent[];
      try {
        if (Number(rv) < options.expiredThrough()) throw tooOld(Number(rv));
        replay = store.eventsSince(rv);
      } catch (error) {
        if (!(error instanceof StatusError)) throw error;
        write('ERROR', statusBody(error));
        end();
        return;
      }
      for (const event of replay) deliver(event);
    }
    // A lagging watch still delivers in order, as the API server's watch cache does: while
    // delayed events are pending (the lag may have just been switched off), a new event waits
    // behind them, and each timer delivers the oldest pending event whatever order timers fire in.
    const pending: StoreEvent[] = [];
    let lastDueAt = 0;
    cancels.push(
      store.subscribe((event) => {
        const now = clock.now();
        const dueAt = Math.max(now + (options.eventDelayMs?.() ?? 0), lastDueAt);
        if (dueAt <= now && pending.length === 0) {
          deliver(event);
          return;
        }
        pending.push(event);
        lastDueAt = dueAt;
        cancels.push(
          clock.setTimeout(() => {
            const oldest = pending.shift();
            if (oldest) deliver(oldest);
          }, dueAt - now),
        );
      }),
    );
    cancels.push(clock.setTimeout(end, params.timeoutSeconds * 1000));
    if (params.bookmarks) {
      let cancelTick = clock.setTimeout(function tick() {
        bookmark();
        cancelTick = clock.setTimeout(tick, bookmarkIntervalMs);
      }, bookmarkIntervalMs);
      cancels.push(() => cancelTick());
    }
  };

  return {
    start,
    endAll: () => {
      for (const watch of [...open]) watch.end();
    },
    expireAll: () => {
      for (const watch of [...open]) watch.expire();
    },
    get size() {
      return open.size;
    },
  };
};
