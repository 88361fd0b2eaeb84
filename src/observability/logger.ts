// Structured logging (pino) with credentials and image-URL secrets redacted at the source.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const LogLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LogLevels)[number];

/** Paths that may carry secrets anywhere in a log object. */
const redactPaths = [
  'password',
  'Password',
  '*.password',
  '*.Password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'headers.authorization',
  'headers["x-auth-token"]',
];

/** An error that answers a request with an HTTP status other than 500 (a RedfishError's
 *  `status`, a Fastify error's `statusCode`) is an expected condition, not a defect. */
const answeredStatus = (error: { status?: unknown; statusCode?: unknown }): number | undefined =>
  [error.status, error.statusCode].find((s): s is number => typeof s === 'number');

/** Errors as pino shows them, except that an expected condition (a client's mistake, an
 *  outage) carries no stack trace: stacks in the log are for bugs (STYLE rule 15). */
const serializeError = (error: unknown): unknown => {
  if (!(error instanceof Error)) return error;
  const status = answeredStatus(error as { status?: unknown; statusCode?: unknown });
  if (status === undefined || status === 500) return pino.stdSerializers.err(error);
  return { type: error.name, message: error.message, status };
};

export const createLogger = (
  options: { level?: LogLevel | 'silent'; destination?: DestinationStream } = {},
): Logger =>
  pino(
    {
      level: options.level ?? 'info',
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      base: { service: 'kubevirt-redfish' },
      serializers: { err: serializeError },
    },
    options.destination,
  );

/** Removes userinfo (user:password@) and query-string values from a URL before it is logged or
 *  shown; returns the input unchanged when it is not a URL. */
export const redactUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
  }
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, 'REDACTED');
  return url.toString();
};
