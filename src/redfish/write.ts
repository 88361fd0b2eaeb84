// The one shape of every write: the handler resolves the target within the caller's scope,
// checks If-Match and validates the body, then hands the port call to `performWrite`, which
// gives it the request's AbortSignal and If-Match precondition, translates its failure and
// emits exactly one audit record either way. Nothing below the port logs the action again.
import { BackendError, isBackendError } from '../backend/errors.ts';
import type { VmRef, WriteOptions } from '../backend/port.ts';
import { callBackend, type BackendFailureContext } from './backend-failure.ts';
import type { AuthenticatedContext, PublicContext } from './handler.ts';

/** A write's request: authenticated, or the login that authenticates itself (its user named in
 *  the WriteTarget once the password checked out). */
export type WriteContext = AuthenticatedContext | PublicContext;

/** One write as the audit trail records it. */
export interface AuditRecord {
  readonly user: string;
  /** The system written to; absent for service-wide settings and sessions (SessionService). */
  readonly system?: { readonly id: string; readonly ref: VmRef };
  /** The Redfish action or property change (`ComputerSystem.Reset`, `SetBootOverride`,
   *  `CreateSession`). */
  readonly action: string;
  /** What was asked for (ResetType, boot override values, redacted image URL). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly outcome: 'succeeded' | 'failed';
  /** The failure, when the outcome is `failed`. */
  readonly error?: unknown;
}

/** Where audit records go. The default logs them; a sink that also records Kubernetes Events
 *  is plugged in through RedfishDependencies.audit. */
export type AuditHook = (record: AuditRecord, ctx: WriteContext) => void;

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

export interface WriteTarget<T = unknown> {
  /** Who writes, when the request is not authenticated yet (a login); else its principal. */
  readonly user?: string;
  readonly system?: { readonly id: string; readonly ref: VmRef };
  readonly action: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** The snapshot version If-Match was checked against: the port re-checks it at write time
   *  (and the API server through resourceVersion), so a change in between answers 412. */
  readonly version?: string;
  /** This write completes a change an earlier write of the same request began (a PATCH of
   *  two properties): a hang-up no longer stops it, only the deadline, so the client's change
   *  is made whole rather than half. */
  readonly completes?: boolean;
  /** What only the result tells (the id of a created session), added to a success record. */
  readonly outcomeDetails?: (result: T) => Readonly<Record<string, unknown>>;
}

/** Retry-After of a write that ran into its deadline: the platform was too slow just now. */
const deadlineRetryAfterSeconds = 10;

/** A write stopped by its signal fails as the platform being too slow (503 with Retry-After),
 *  never as a bug: after a hang-up nobody reads the answer, after the deadline the client does. */
const stoppedBySignal = (error: unknown, signal: AbortSignal): unknown =>
  signal.aborted && !isBackendError(error)
    ? new BackendError('unavailable', `the write was stopped: ${String(signal.reason)}`, {
        cause: error,
        retryAfterSeconds: deadlineRetryAfterSeconds,
      })
    : error;

/** Performs the one port call of a write and records it once. */
export const performWrite = async <T>(
  ctx: WriteContext,
  target: WriteTarget<T>,
  write: (options: WriteOptions) => Promise<T>,
  failure: BackendFailureContext,
): Promise<T> => {
  const signal = target.completes === true ? ctx.deadline : ctx.signal;
  const options: WriteOptions = {
    signal,
    ...(ctx.ifMatch === undefined || target.version === undefined
      ? {}
      : { expectedVersion: target.version }),
  };
  const audit = ctx.deps.audit ?? logAudit;
  const user = target.user ?? ctx.principal?.user;
  if (user === undefined) throw new Error(`${target.action}: a write without a user`);
  const record = {
    user,
    ...(target.system === undefined ? {} : { system: target.system }),
    action: target.action,
    details: target.details ?? {},
  };
  try {
    const result = await callBackend(
      () =>
        write(options).catch((error: unknown) => {
          throw stoppedBySignal(error, signal);
        }),
      failure,
    );
    const more = target.outcomeDetails?.(result);
    audit(
      { ...record, ...(more && { details: { ...record.details, ...more } }), outcome: 'succeeded' },
      ctx,
    );
    return result;
  } catch (error) {
    audit({ ...record, outcome: 'failed', error }, ctx);
    throw error;
  }
};
