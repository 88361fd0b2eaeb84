// The event-log port: what happened to a VM, as its platform recorded it and as this service's
// own audit trail adds to it, in domain words. Unlike VmBackend reads this one is asynchronous:
// the log is read from the platform on demand (src/kube/event-log.ts says why), not from a cache.
import type { VmRef } from './port.ts';

/** Severity of an event as a BMC log reports it. */
export type EventSeverity = 'OK' | 'Warning';

/** One recorded event about a VM or the things it consists of (its running instance, its media). */
export interface SystemEvent {
  /** The platform's identifier of the record: stable, unique and safe in a URI. */
  readonly id: string;
  /** When it last happened (ISO 8601). */
  readonly time: string;
  readonly severity: EventSeverity;
  /** A one-word cause in the reporter's terms (`Started`, `RedfishReset`…). */
  readonly reason: string;
  readonly message: string;
  /** What the event is about, in platform words (`VirtualMachineInstance web`). */
  readonly subject: string;
  /** Which component reported it (`virt-handler`, this service…). */
  readonly reporter: string;
  /** Set on this service's own audit records: the user whose request it records. */
  readonly user?: string;
  /** How often the platform saw it; repeats are folded into one record. */
  readonly count: number;
}

/** One of this service's audit records, as it is written to the platform. */
export interface AuditEvent {
  /** A one-word cause (`RedfishReset`). */
  readonly reason: string;
  /** Names the user, the action, its arguments and the outcome. */
  readonly message: string;
  readonly user: string;
  readonly severity: EventSeverity;
}

export interface SystemEventLog {
  /** Every event of the VM still kept by the platform, newest first. Throws BackendError
   *  (`unavailable`) when the platform cannot be read. */
  list(ref: VmRef): Promise<readonly SystemEvent[]>;
  /** Records an audit event on the VM. Best effort: returns at once, never throws, and drops
   *  the record (logging why) when it cannot be written. */
  record(ref: VmRef, event: AuditEvent): void;
}
