// The audit hook the service runs with: each write's record goes to the request log and, when it
// concerns a system, to the system's event log as a Kubernetes Event on its VM (so
// `kubectl get events` shows who reset, changed boot, inserted or ejected what, and whether it
// worked). Recording is best effort and never delays or fails the Redfish answer.
import type { AuditEvent, SystemEventLog } from '../backend/event-log.ts';
import { logAudit, type AuditHook, type AuditRecord } from './write.ts';

/** Event reasons of the actions written through performWrite (Kubernetes reasons are
 *  UpperCamelCase words, prefixed so they are told apart from KubeVirt's own). */
const reasons: Readonly<Record<string, string>> = {
  'ComputerSystem.Reset': 'RedfishReset',
  SetBootOverride: 'RedfishSetBoot',
  SetIndicatorLED: 'RedfishSetIndicatorLED',
  'VirtualMedia.InsertMedia': 'RedfishInsertMedia',
  'VirtualMedia.EjectMedia': 'RedfishEjectMedia',
};

export const auditReason = (action: string): string =>
  reasons[action] ?? `Redfish${action.replace(/[^A-Za-z0-9]/g, '')}`;

const argument = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

/** `admin: ComputerSystem.Reset ResetType=ForceOff succeeded`, or `… failed: <why>`. */
export const auditMessage = (record: AuditRecord): string => {
  const args = Object.entries(record.details)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${argument(value)}`);
  // performWrite hands over what the backend call threw: a RedfishError (translated) or, for
  // a bug, any Error; its message is what the client was told.
  const why = record.error instanceof Error ? `: ${record.error.message}` : '';
  return [`${record.user}:`, record.action, ...args, record.outcome].join(' ') + why;
};

export const toAuditEvent = (record: AuditRecord): AuditEvent => ({
  reason: auditReason(record.action),
  message: auditMessage(record),
  user: record.user,
  severity: record.outcome === 'failed' ? 'Warning' : 'OK',
});

/** Logs every record and keeps those about a system in that system's event log. */
export const recordAudit =
  (events: SystemEventLog): AuditHook =>
  (record, ctx) => {
    logAudit(record, ctx);
    if (record.system !== undefined) events.record(record.system.ref, toAuditEvent(record));
  };
