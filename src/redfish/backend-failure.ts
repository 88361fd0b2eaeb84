// The one mapping from typed backend failures to Redfish messages (STYLE rule 7). Handlers say
// what a conflict or a rejection means for their request; the switch decides everything else.
import { isBackendError } from '../backend/errors.ts';
import {
  RedfishError,
  preconditionFailed,
  resourceInUse,
  resourceNotFound,
  serviceTemporarilyUnavailable,
  type RedfishMessage,
} from './messages.ts';

/** Used when the platform is unavailable but did not say for how long. */
export const defaultRetryAfterSeconds = 10;

export interface BackendFailureContext {
  /** The resource the request addressed, for 404s. */
  readonly resource: { readonly type: string; readonly id: string };
  /** The request conflicts with the current state (409). */
  readonly conflict: RedfishMessage;
  /** The platform cannot do this at all. */
  readonly unsupported: RedfishMessage;
  /** The platform refused the values. */
  readonly invalid: RedfishMessage;
}

/** Turns a BackendError into the RedfishError the client sees; anything else is a bug and is
 *  returned unchanged for the error handler to answer 500. */
export const fromBackendFailure = (error: unknown, context: BackendFailureContext): unknown => {
  if (!isBackendError(error)) return error;
  switch (error.kind) {
    case 'notFound':
      return new RedfishError(resourceNotFound(context.resource.type, context.resource.id));
    case 'conflict':
      return new RedfishError(context.conflict);
    case 'inTransition':
      // Base ResourceInUse: "…the resource is in use or in transition." (409)
      return new RedfishError(resourceInUse());
    case 'preconditionFailed':
      return new RedfishError(preconditionFailed());
    case 'unavailable':
      return new RedfishError(
        serviceTemporarilyUnavailable(error.retryAfterSeconds ?? defaultRetryAfterSeconds),
      );
    case 'unsupported':
      return new RedfishError(context.unsupported);
    case 'invalid':
      return new RedfishError(context.invalid);
  }
};

/** Awaits a backend write, translating its failure per `context`. */
export const callBackend = async <T>(
  write: () => Promise<T>,
  context: BackendFailureContext,
): Promise<T> => {
  try {
    return await write();
  } catch (error) {
    throw fromBackendFailure(error, context);
  }
};
