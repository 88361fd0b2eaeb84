// The one shape of every write: the handler resolves the target within the caller's scope,
// checks If-Match and validates the body, then hands the port call to `performWrite`, which
// gives it the request's AbortSignal and If-Match precondition, translates its failure and
// emits exactly one audit record either way. Nothing below the port logs the action again.
import type { VmRef, WriteOptions } from '../backend/port.ts';
import { callBackend, type BackendFailureContext } from './backend-failure.ts';
import type { AuthenticatedContext } from './handler.ts';

/** One write as the audit trail records it. */
export interface AuditRecord {
  readonly user: string;
  /** The system written to; absent for service-wide settings (SessionService). */
  readonly system?: { readonly id: string; readonly ref: VmRef };
  /** The Redfish action or property change (`ComputerSystem.Reset`, `SetBootOverride`). */
  readonly action: string;
  /** What was asked for (ResetType, boot override values, redacted image URL). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly outcome: 'succeeded' | 'failed';
  /** The failure, when the outcome is `failed`. */
  readonly error?: unknown;
}

/** Where audit records go. The default logs them; a sink that also records Kubernetes Events
 *  is plugged in through RedfishDependencies.audit. */
export type AuditHook = (record: AuditRecord, ctx: AuthenticatedContext) => void;

/** Logs the record on the request's logger (with its request id); failures as warnings. */
export const logAudit: AuditHook = (record, ctx) => {
  const { outcome, error, system, details, ...rest } = record;
  const fields = {
    ...rest,
    ...details,
    ...(system === undefined
      ? {}
      : { system: system.id, namespace: system.ref.namespace, vm: system.ref.name }),
    outcome,
  };
  if (outcome === 'failed') ctx.log.warn({ ...fields, err: error }, 'write failed');
  else ctx.log.info(fields, 'write');
};

export interface WriteTarget {
  readonly system?: { readonly id: string; readonly ref: VmRef };
  readonly action: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** The snapshot version If-Match was checked against: the port re-checks it at write time
   *  (and the API server through resourceVersion), so a change in between answers 412. */
  readonly version?: string;
}

/** Performs the one port call of a write and records it once. */
export const performWrite = async <T>(
  ctx: AuthenticatedContext,
  target: WriteTarget,
  write: (options: WriteOptions) => Promise<T>,
  failure: BackendFailureContext,
): Promise<T> => {
  const options: WriteOptions = {
    signal: ctx.signal,
    ...(ctx.ifMatch === undefined || target.version === undefined
      ? {}
      : { expectedVersion: target.version }),
  };
  const audit = ctx.deps.audit ?? logAudit;
  const record = {
    user: ctx.principal.user,
    ...(target.system === undefined ? {} : { system: target.system }),
    action: target.action,
    details: target.details ?? {},
  };
  try {
    const result = await callBackend(() => write(options), failure);
    audit({ ...record, outcome: 'succeeded' }, ctx);
    return result;
  } catch (error) {
    audit({ ...record, outcome: 'failed', error }, ctx);
    throw error;
  }
};
