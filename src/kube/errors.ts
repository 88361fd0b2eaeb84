// Translates Kubernetes API failures into the port's typed BackendError, once, by status code
// and Status reason. The one exception to "never by message text" lives here: virt-api answers
// a state change racing another with a bare 500 whose text is the only thing that tells it
// from a real server failure.
import { ApiException } from '@kubernetes/client-node';
import { BackendError } from '../backend/errors.ts';

interface KubeStatus {
  message?: string;
  reason?: string;
  details?: { retryAfterSeconds?: number };
}

const parseStatus = (body: unknown): KubeStatus => {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as KubeStatus;
    } catch {
      return { message: body };
    }
  }
  return typeof body === 'object' && body !== null ? body : {};
};

/** Seconds a client should wait before retrying when the API server is down or throttling. */
const defaultRetryAfterSeconds = 5;

export const statusCode = (error: unknown): number | undefined =>
  error instanceof ApiException ? error.code : undefined;

/** The Kubernetes Status message of an ApiException, for logs and error messages. */
export const statusMessage = (error: unknown): string => {
  if (error instanceof ApiException) return parseStatus(error.body).message ?? `HTTP ${error.code}`;
  return error instanceof Error ? error.message : String(error);
};

/** virt-api's answer to a start/stop while another is still being applied (KubeVirt
 *  pkg/virt-api/rest/subresource.go, `getChangeRequestJson`): the VM is in transition. */
const stateChangeUnderway = /stop\/start already underway/;

/** Maps any error from a Kubernetes call to a BackendError; `what` names the object for messages. */
export const toBackendError = (error: unknown, what: string): BackendError => {
  if (error instanceof BackendError) return error;
  if (!(error instanceof ApiException)) {
    // node-fetch FetchError, ECONNREFUSED, resets: the API server is unreachable.
    return new BackendError('unavailable', `Kubernetes API unreachable: ${statusMessage(error)}`, {
      cause: error,
      retryAfterSeconds: defaultRetryAfterSeconds,
    });
  }
  const status = parseStatus(error.body);
  const message = `${what}: ${status.message ?? `HTTP ${error.code}`}`;
  const code = error.code;
  if (code === 404) return new BackendError('notFound', message, { cause: error });
  if (code === 409 || code === 410) return new BackendError('conflict', message, { cause: error });
  if (code === 400 || code === 422) return new BackendError('invalid', message, { cause: error });
  if (code === 500 && stateChangeUnderway.test(status.message ?? ''))
    return new BackendError('inTransition', message, { cause: error });
  const headerRetry = Number(
    (error.headers as Record<string, string> | undefined)?.['retry-after'],
  );
  const retryAfterSeconds =
    status.details?.retryAfterSeconds ??
    (Number.isFinite(headerRetry) && headerRetry > 0 ? headerRetry : defaultRetryAfterSeconds);
  // 401/403 mean our own credentials or RBAC are wrong, 429/5xx that the server is struggling:
  // neither is the caller's fault, so both surface as a temporary unavailability.
  return new BackendError('unavailable', message, { cause: error, retryAfterSeconds });
};
