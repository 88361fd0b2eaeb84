// The event log of a VM over core/v1 Events: read on demand with field selectors, as
// `kubectl describe` does, and this service's audit records written as Events on the VM, so that
// `kubectl get events` shows them and they outlive this process and are shared by its replicas.
//
// Why not an informer: Events are the busiest objects of a namespace (every pod, claim and
// controller writes them) and no field selector covers "this VM, its VMI and its media" for a
// whole namespace, so a cache would hold every event of every configured namespace to answer
// the rare log read. A log read costs one LIST for the VM and its VMI (they share the name) plus
// one per media DataVolume; GETs of everything else stay at zero API calls.
import { randomInt } from 'node:crypto';
import type { AuditEvent, SystemEvent, SystemEventLog } from '../backend/event-log.ts';
import type { VmRef } from '../backend/port.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import { statusMessage, toBackendError } from './errors.ts';
import type { ObjectList, VirtualMachine } from './types.ts';

/** Event.source.component and reportingComponent of this service's own events. */
export const eventReporter = 'kubevirt-redfish';
/** The user an audit event records, kept apart from its message so it is never parsed back. */
export const auditUserAnnotation = 'kubevirt-redfish.io/user';

/** Audit writes under way at once; beyond it records are dropped (and logged), so a burst of
 *  writes against a struggling API server never builds an unbounded backlog in memory. */
export const maxEventWritesInFlight = 32;
/** The API server keeps messages of any length, but kubectl and the events API cut at 1 KiB. */
const maxMessageLength = 1024;
/** metadata.name is a DNS subdomain (253); the suffix is `.` and 16 hex digits. */
const maxNamePrefix = 253 - 17;

export interface KubeEvent {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
  };
  involvedObject?: { apiVersion?: string; kind?: string; name?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
}

/** What the log needs from the caches about a VM. */
export interface EventLogVm {
  readonly vm: VirtualMachine | undefined;
  /** The DataVolumes holding its virtual media (inserted, importing). */
  readonly mediaDataVolumes: readonly string[];
}

export interface KubeEventLogOptions {
  readonly clients: KubeClients;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lookup: (ref: VmRef) => EventLogVm;
  /** This replica (Event.reportingInstance), so an audit record says which one wrote it. */
  readonly instance?: string;
}

const kubevirtKinds = new Set(['VirtualMachine', 'VirtualMachineInstance']);

/** When an event last happened, in epoch ms: legacy events carry lastTimestamp, events.k8s.io
 *  ones eventTime; one with no readable time sorts last instead of failing the whole log. */
const timeOf = (event: KubeEvent): number => {
  const text =
    event.lastTimestamp ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata.creationTimestamp;
  const ms = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(ms) ? 0 : ms;
};

export const toSystemEvent = (event: KubeEvent): SystemEvent => {
  const user = event.metadata.annotations?.[auditUserAnnotation];
  return {
    id: event.metadata.uid ?? event.metadata.name,
    time: new Date(timeOf(event)).toISOString(),
    severity: event.type === 'Warning' ? 'Warning' : 'OK',
    reason: event.reason ?? '',
    message: event.message ?? '',
    subject: `${event.involvedObject?.kind ?? 'object'} ${event.involvedObject?.name ?? ''}`,
    reporter: event.reportingComponent || event.source?.component || 'unknown',
    ...(user === undefined ? {} : { user }),
    count: event.count ?? 1,
  };
};

/** Newest first; ties (whole-second timestamps) by name, which the recorder makes time-ordered. */
const newestFirst = (a: KubeEvent, b: KubeEvent): number =>
  timeOf(b) - timeOf(a) ||
  (a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0);

export const createKubeEventLog = (options: KubeEventLogOptions): SystemEventLog => {
  const { clients, clock, logger } = options;
  let inFlight = 0;

  const listEvents = async (namespace: string, selector: string): Promise<KubeEvent[]> => {
    const query = new URLSearchParams({ fieldSelector: selector });
    try {
      const text = await clients.request(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/events?${query.toString()}`,
      );
      return (JSON.parse(text) as ObjectList<KubeEvent>).items;
    } catch (error) {
      throw toBackendError(error, `events of ${namespace}`);
    }
  };

  /** client-go's recorder names events `<object>.<hex UnixNano>`; random nanoseconds keep two
   *  replicas recording in the same millisecond apart, and the names of events in the same
   *  second still sort by time (newestFirst relies on it). */
  const eventName = (vmName: string): string => {
    const nanos = BigInt(clock.now()) * 1_000_000n + BigInt(randomInt(1_000_000));
    return `${vmName.slice(0, maxNamePrefix)}.${nanos.toString(16)}`;
  };

  const manifest = (ref: VmRef, audit: AuditEvent, vm: VirtualMachine | undefined) => {
    const now = new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: eventName(ref.name),
        namespace: ref.namespace,
        annotations: { [auditUserAnnotation]: audit.user },
      },
      involvedObject: {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        namespace: ref.namespace,
        name: ref.name,
        ...(vm?.metadata.uid === undefined ? {} : { uid: vm.metadata.uid }),
        ...(vm?.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: vm.metadata.resourceVersion }),
      },
      reason: audit.reason,
      message: audit.message.slice(0, maxMessageLength),
      type: audit.severity === 'Warning' ? 'Warning' : 'Normal',
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: eventReporter },
      reportingComponent: eventReporter,
      ...(options.instance === undefined ? {} : { reportingInstance: options.instance }),
    };
  };

  return {
    async list(ref) {
      const { vm, mediaDataVolumes } = options.lookup(ref);
      // The VM and its VMI share the name: one LIST, then only their kinds are kept (a
      // DataVolume or Pod of the same name is not this system).
      const [own, ...media] = await Promise.all([
        listEvents(ref.namespace, `involvedObject.name=${ref.name}`),
        ...mediaDataVolumes.map((dv) =>
          listEvents(ref.namespace, `involvedObject.kind=DataVolume,involvedObject.name=${dv}`),
        ),
      ]);
      const created = vm?.metadata.creationTimestamp;
      const uid = vm?.metadata.uid;
      const current = (event: KubeEvent): boolean => {
        // Events of an earlier VM of the same name (deleted and re-created) are not this one's.
        if (event.involvedObject?.kind === 'VirtualMachine' && uid && event.involvedObject.uid)
          return event.involvedObject.uid === uid;
        return created === undefined || timeOf(event) >= Date.parse(created);
      };
      return [
        ...(own ?? []).filter((e) => kubevirtKinds.has(e.involvedObject?.kind ?? '')),
        ...media.flat(),
      ]
        .filter(current)
        .sort(newestFirst)
        .map(toSystemEvent);
    },

    record(ref, audit) {
      if (inFlight >= maxEventWritesInFlight) {
        logger.warn(
          { vm: `${ref.namespace}/${ref.name}`, reason: audit.reason, inFlight },
          'audit event dropped: too many event writes under way',
        );
        return;
      }
      inFlight++;
      const notRecorded = (error: unknown) =>
        logger.warn(
          { vm: `${ref.namespace}/${ref.name}`, reason: audit.reason, err: statusMessage(error) },
          'audit event not recorded',
        );
      // Async from the first step, so nothing here can throw into the write it records.
      Promise.resolve()
        .then(() =>
          clients.request(
            'POST',
            `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events`,
            manifest(ref, audit, options.lookup(ref).vm),
          ),
        )
        .catch(notRecorded)
        .finally(() => inFlight--);
    },
  };
};
