// The event log of each system (issue 13 item 6): LogServices → Log → Entries → entry, built from
// the event-log port (the VM's, its VMI's and its media DataVolumes' Kubernetes Events plus this
// service's audit records, newest first). `$top`/`$skip` page Entries like any collection.
//
// The log is served under the system and, with the same content, under its Manager: the OCP
// baseline profile requires LogServices on every Manager, and DSP0266 builds a member's URI from
// its collection's, so the Manager's LogServices collection cannot list the system's log as a
// member; it serves the same log under its own URIs instead (as VirtualMedia is served twice).
import type { VisibleSystem } from '../../auth/types.ts';
import type { SystemEvent } from '../../backend/event-log.ts';
import type {
  EventSeverity,
  LogEntryType,
  LogEntryTypes,
  LogPurpose,
  OriginatorTypes,
  OverWritePolicy,
} from '../enums.ts';
import { callBackend } from '../backend-failure.ts';
import { RedfishError, internalError, resourceNotFound } from '../messages.ts';
import {
  link,
  logServiceId,
  odataTypes,
  redfishDateTime,
  toCollection,
  uris,
  type LogHost,
} from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { hostedSystem } from '../visibility.ts';

const entryType: LogEntryType = 'Event';
const logEntryTypes: LogEntryTypes = 'Event';
/** Kubernetes keeps events for the API server's --event-ttl (one hour by default): the oldest
 *  make room for new ones, and nothing is ever refused. */
const overWritePolicy: OverWritePolicy = 'WrapsWhenFull';
/** Platform diagnostics (scheduling, crashes, imports) and management operations (resets, boot
 *  and media changes through this service). */
const purposes: readonly LogPurpose[] = ['Diagnostic', 'Operations'];

export const toLogServiceCollection = (host: LogHost, system: VisibleSystem): RedfishBody =>
  toCollection(uris.logServices(host, system.id), odataTypes.LogServiceCollection, 'Log Services', [
    uris.logService(host, system.id),
  ]);

export const toLogService = (host: LogHost, system: VisibleSystem, nowMs: number): RedfishBody => ({
  '@odata.id': uris.logService(host, system.id),
  '@odata.type': odataTypes.LogService,
  Id: logServiceId,
  Name: 'Event Log',
  Description:
    `Kubernetes Events of VirtualMachine ${system.ref.namespace}/${system.ref.name}, its ` +
    'instance and its virtual media, and the actions taken on it through this service',
  ServiceEnabled: true,
  LogEntryType: logEntryTypes,
  LogPurposes: [...purposes],
  OverWritePolicy: overWritePolicy,
  // Events live in the cluster: they survive restarts of this service and every replica reads
  // the same log.
  Persistency: true,
  DateTime: redfishDateTime(nowMs),
  DateTimeLocalOffset: '+00:00',
  Status: { State: 'Enabled', Health: 'OK' },
  Entries: link(uris.logEntries(host, system.id)),
});

export const toLogEntry = (
  host: LogHost,
  system: VisibleSystem,
  event: SystemEvent,
): RedfishBody => {
  const severity: EventSeverity = event.severity;
  // An audit record is a client's action; everything else comes from a cluster component.
  const originatorType: OriginatorTypes = event.user === undefined ? 'SupportingService' : 'Client';
  return {
    '@odata.id': uris.logEntry(host, system.id, event.id),
    '@odata.type': odataTypes.LogEntry,
    Id: event.id,
    Name: `${event.subject}: ${event.reason}`,
    Description:
      `Reported by ${event.reporter}` + (event.count > 1 ? `, seen ${event.count} times` : ''),
    EntryType: entryType,
    Severity: severity,
    Created: redfishDateTime(Date.parse(event.time)),
    // No MessageId: Kubernetes reasons are not Redfish registry messages.
    Message: event.message,
    Originator: event.user ?? event.reporter,
    OriginatorType: originatorType,
    ...(event.user === undefined ? {} : { Username: event.user }),
    Links: { OriginOfCondition: link(uris.system(system.id)) },
  };
};

/** All entries inline (as BMCs serve logs): one read of the platform answers the whole page
 *  instead of one per entry. */
export const toLogEntryCollection = (
  host: LogHost,
  system: VisibleSystem,
  events: readonly SystemEvent[],
): RedfishBody => ({
  '@odata.id': uris.logEntries(host, system.id),
  '@odata.type': odataTypes.LogEntryCollection,
  Name: 'Log Entries',
  Description: 'Newest first',
  Members: events.map((event) => toLogEntry(host, system, event)),
  'Members@odata.count': events.length,
});

/** The system a log URL addresses, and its log: 404 for a log Id other than `Log`. */
const logOf = (ctx: AuthenticatedContext, host: LogHost): VisibleSystem => {
  const system = hostedSystem(ctx, host);
  const id = pathParam(ctx, 'logServiceId');
  if (id !== logServiceId) throw new RedfishError(resourceNotFound('LogService', id));
  return system;
};

const readEvents = (ctx: AuthenticatedContext, system: VisibleSystem) => {
  // A read has nothing to conflict with or refuse: only an unreachable platform (503) or a VM
  // gone meanwhile (404) are expected, anything else is a bug.
  const unexpected = internalError();
  return callBackend(() => ctx.deps.events.list(system.ref), {
    resource: { type: 'ComputerSystem', id: system.id },
    conflict: unexpected,
    unsupported: unexpected,
    invalid: unexpected,
  });
};

export const handleLogServiceCollectionGet =
  (host: LogHost) =>
  (ctx: AuthenticatedContext): HandlerReply => ({
    status: 200,
    body: toLogServiceCollection(host, hostedSystem(ctx, host)),
  });

export const handleLogServiceGet =
  (host: LogHost) =>
  (ctx: AuthenticatedContext): HandlerReply => ({
    status: 200,
    body: toLogService(host, logOf(ctx, host), ctx.deps.clock.now()),
  });

export const handleLogEntryCollectionGet =
  (host: LogHost) =>
  async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
    const system = logOf(ctx, host);
    return { status: 200, body: toLogEntryCollection(host, system, await readEvents(ctx, system)) };
  };

export const handleLogEntryGet =
  (host: LogHost) =>
  async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
    const system = logOf(ctx, host);
    const id = pathParam(ctx, 'entryId');
    const event = (await readEvents(ctx, system)).find((e) => e.id === id);
    if (event === undefined) throw new RedfishError(resourceNotFound('LogEntry', id));
    return { status: 200, body: toLogEntry(host, system, event) };
  };
