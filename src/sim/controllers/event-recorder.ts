// The simulated controllers' event recorder, after client-go's tools/record: core/v1 Events
// named `<object>.<hex nanoseconds>` with the involved object, the component (and node) that
// reports them, and repeats of an identical event folded into one whose count and lastTimestamp
// grow (the EventCorrelator), so `kubectl get events` reads as it does on a real cluster.
import type { Clock } from '../../util/clock.ts';
import { StatusError, type KubeObject, type ObjectStore } from '../types.ts';
import { timestamp } from './kubevirt-objects.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records an event about `object` (kubectl describe lists it under the object). */
  event(object: KubeObject, type: EventType, reason: string, message: string): void;
}

export interface EventRecorderOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** source.component / reportingComponent: `virtualmachine-controller`, `virt-handler`. */
  readonly component: string;
  /** source.host / reportingInstance: the node a node agent runs on. */
  readonly host?: string;
}

const eventsKey = 'events';
/** client-go keeps this many distinct events for aggregation (maxLruCacheEntries). */
const maxRemembered = 4096;

export const createEventRecorder = (options: EventRecorderOptions): EventRecorder => {
  const { store, clock, component, host } = options;
  /** Identity of an event (what client-go's getEventKey compares) → the Event's name. */
  const recorded = new Map<string, string>();
  let sequence = 0;

  return {
    event(object, type, reason, message) {
      const { namespace = 'default', name = '', uid, resourceVersion } = object.metadata;
      const involvedObject = {
        kind: object.kind,
        namespace,
        name,
        ...(uid === undefined ? {} : { uid }),
        apiVersion: object.apiVersion,
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      };
      const now = timestamp(clock.now());
      const key = JSON.stringify([
        component,
        host,
        object.kind,
        namespace,
        name,
        uid,
        type,
        reason,
        message,
      ]);
      const existing = recorded.get(key);
      if (existing !== undefined && store.get(eventsKey, namespace, existing)) {
        store.mutate(eventsKey, namespace, existing, (draft) => {
          draft.count = (typeof draft.count === 'number' ? draft.count : 1) + 1;
          draft.lastTimestamp = now;
        });
        return;
      }
      const manifest = (eventName: string): KubeObject => ({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject,
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        eventTime: null,
        source: { component, ...(host === undefined ? {} : { host }) },
        reportingComponent: component,
        reportingInstance: host ?? '',
      });
      // The nanosecond part counts events within the millisecond; another recorder (a VM and
      // its VMI share the name) may have taken the name, so the next count is tried.
      const create = (): string => {
        for (;;) {
          const nanos = BigInt(clock.now()) * 1_000_000n + BigInt(sequence++ % 1_000_000);
          const eventName = `${name}.${nanos.toString(16)}`;
          try {
            store.create(eventsKey, manifest(eventName));
            return eventName;
          } catch (error) {
            if (!(error instanceof StatusError && error.reason === 'AlreadyExists')) throw error;
          }
        }
      };
      recorded.set(key, create());
      if (recorded.size > maxRemembered) {
        const oldest = recorded.keys().next().value;
        if (oldest !== undefined) recorded.delete(oldest);
      }
    },
  };
};
