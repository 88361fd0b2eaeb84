// Kubernetes Events as client-go's EventRecorder writes them (core/v1 Event named
// `<object>.<hex nanoseconds>`, source.component the controller's name). Like its
// EventCorrelator, a repeat of the same event (object, type, reason, message, source) raises
// `count` and `lastTimestamp` of the existing one instead of adding another.
import type { Clock } from '../../util/clock.ts';
import { TypeKeys } from '../resource-types.ts';
import type { KubeObject, ObjectStore } from '../types.ts';
import { timestamp } from './kubevirt-objects.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(object: KubeObject, type: EventType, reason: string, message: string): void;
}

interface InvolvedObject {
  kind?: string;
  name?: string;
  uid?: string;
}

export const createEventRecorder = (
  store: ObjectStore,
  clock: Clock,
  component: string,
): EventRecorder => {
  // Names must differ for events recorded within the same millisecond.
  let sequence = 0;
  return {
    record(object, type, reason, message) {
      const namespace = object.metadata.namespace ?? 'default';
      const same = store.list(TypeKeys.events, namespace).items.find((event) => {
        const involved = (event.involvedObject ?? {}) as InvolvedObject;
        return (
          involved.uid === object.metadata.uid &&
          event.type === type &&
          event.reason === reason &&
          event.message === message &&
          (event.source as { component?: string } | undefined)?.component === component
        );
      });
      const now = timestamp(clock.now());
      if (same) {
        store.mutate(TypeKeys.events, namespace, same.metadata.name ?? '', (draft) => {
          draft.count = ((draft.count as number | undefined) ?? 1) + 1;
          draft.lastTimestamp = now;
        });
        return;
      }
      store.create(TypeKeys.events, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${object.metadata.name ?? ''}.${(BigInt(clock.now()) * 1_000_000n + BigInt(sequence++ % 1_000_000)).toString(16)}`,
          namespace,
        },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
        },
        type,
        reason,
        message,
        source: { component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        eventTime: null,
        reportingComponent: '',
        reportingInstance: '',
      });
    },
  };
};
