// Kubernetes Status bodies: every error the simulated API server answers is rendered here.
import type { ServerResponse } from 'node:http';
import type { ServedType } from '../resource-types.ts';
import { StatusError } from '../types.ts';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

/** The generic 404 for paths and resources the server does not serve. */
export const unknownPath = (): StatusError =>
  new StatusError('NotFound', 'the server could not find the requested resource', {});

/** 405 as go-restful answers a method a route does not have. */
export const methodNotAllowed = (): StatusError =>
  new StatusError(
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );

export const badRequest = (message: string): StatusError => new StatusError('BadRequest', message);

/** apimachinery's message for a body in a media type the endpoint does not decode. */
export const unsupportedMediaType = (accepted: readonly string[]): StatusError =>
  new StatusError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );

export const toStatusError = (error: unknown): StatusError =>
  error instanceof StatusError
    ? error
    : new StatusError(
        'InternalError',
        `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
        { causes: [{ message: error instanceof Error ? error.message : String(error) }] },
      );

export const statusBody = (error: StatusError): StatusBody => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: error.message,
  reason: error.reason,
  ...(error.details ? { details: { ...error.details } } : {}),
  code: error.code,
});

/** The Success Status that DELETE answers for types that do not return the deleted object. */
export const deletedStatus = (
  type: ServedType,
  name: string,
  uid: string | undefined,
): StatusBody => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  details: { name, ...(type.group === '' ? {} : { group: type.group }), kind: type.resource, uid },
  code: 200,
});

export const sendStatus = (res: ServerResponse, error: StatusError): void => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retry = error.details?.retryAfterSeconds;
  res.writeHead(error.code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    ...(retry !== undefined ? { 'Retry-After': String(retry) } : {}),
  });
  res.end(`${JSON.stringify(statusBody(error))}\n`);
};
