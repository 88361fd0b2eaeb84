// Structured logging (pino) with credentials and image-URL secrets redacted at the source.
import {
  pino,
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
} from 'pino';

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

/** Applies redactUrl to every http(s) URL quoted in a free-text message (CDI's importer errors
 *  read `Get "<url>": ...`), so a pre-signed query never reaches a log or a Redfish message. */
export const redactUrlsIn = (text: string): string =>
  text.replace(/https?:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url));

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const levels: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * A request's logger whose pino child (with the request id) is made only when a line is
 * actually written. Fastify makes one child per request; at thousands of requests a second
 * that allocation showed in profiles (issue 12) although almost no request logs anything.
 */
class DeferredChild {
  declare fatal: Logger['fatal'];
  declare error: Logger['error'];
  declare warn: Logger['warn'];
  declare info: Logger['info'];
  declare debug: Logger['debug'];
  declare trace: Logger['trace'];
  declare silent: Logger['silent'];
  #made: Logger | undefined;

  constructor(
    readonly parent: Logger,
    readonly bindings: Bindings,
  ) {}

  made(): Logger {
    this.#made ??= this.parent.child(this.bindings);
    return this.#made;
  }

  get level(): string {
    return (this.#made ?? this.parent).level;
  }

  set level(level: string) {
    this.made().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.made().child(bindings, options);
  }

  write(level: Level, args: unknown[]): void {
    // Below the level nothing is written, so there is no child to make.
    if (!(this.#made ?? this.parent).isLevelEnabled(level)) return;
    const child = this.made();
    Reflect.apply(child[level], child, args);
  }
}
for (const level of levels) {
  DeferredChild.prototype[level] = function (this: DeferredChild, ...args: unknown[]) {
    this.write(level, args);
  };
}
DeferredChild.prototype.silent = () => undefined;

/** Fastify's `childLoggerFactory`: a per-request logger that costs one small object. */
export const deferredChildLogger = (parent: Logger, bindings: Bindings): Logger =>
  new DeferredChild(parent, bindings) as unknown as Logger;
