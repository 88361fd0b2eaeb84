// A debug-level service logger whose lines a test can read back: how the suites check what is
// logged for hostile input (levels, and no stack trace for a client's mistake).
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.ts';

/** One parsed log line (pino JSON). */
export type LogLine = Readonly<Record<string, unknown>> & { readonly level: number; msg?: string };

export interface LogCapture {
  readonly logger: Logger;
  /** Every line logged so far. */
  readonly lines: LogLine[];
  /** Lines logged from now on (call the result to read them). */
  mark(): () => LogLine[];
}

/** pino's numeric levels. */
export const logLevel = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** True when the line carries a stack trace anywhere (an `err` or any nested object). */
export const hasStack = (line: LogLine): boolean => /"stack":|\\n\s+at /.test(JSON.stringify(line));

export const captureLogs = (): LogCapture => {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n'))
        if (text) lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug', destination }),
    lines,
    mark: () => {
      const start = lines.length;
      return () => lines.slice(start);
    },
  };
};
