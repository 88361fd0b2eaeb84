// Typed failures of the backend port. The Redfish layer maps each kind to a Base-registry
// message in exactly one exhaustive switch; nobody matches on error text.

export const BackendErrorKinds = [
  /** The VM (or a thing it needs) does not exist. */
  'notFound',
  /** The request is valid but conflicts with the current state (a different image inserted,
   *  an action the run strategy forbids). */
  'conflict',
  /** The target is between states (a start or stop already underway): the same request may
   *  succeed once it settles. Never an outage. */
  'inTransition',
  /** The caller's expectedVersion no longer matches (If-Match). */
  'preconditionFailed',
  /** The platform cannot be reached or is not ready; retry later. */
  'unavailable',
  /** The platform cannot do this at all (no NMI, no such boot device on this VM). */
  'unsupported',
  /** The request's values are not acceptable to the platform. */
  'invalid',
] as const;
export type BackendErrorKind = (typeof BackendErrorKinds)[number];

export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly kind: BackendErrorKind,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  readonly retryAfterSeconds: number | undefined;
}

export const isBackendError = (error: unknown): error is BackendError =>
  error instanceof BackendError;
