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

export const createLogger = (
  options: { level?: LogLevel | 'silent'; destination?: DestinationStream } = {},
): Logger =>
  pino(
    {
      level: options.level ?? 'info',
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      base: { service: 'kubevirt-redfish' },
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
