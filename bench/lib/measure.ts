// Measuring and reporting for the benchmarks: bounded repeated timings, medians and
// percentiles, CPU time beside wall time, and rows that print a ratio against a baseline
// measured in the same run (absolute numbers drift with the machine; ratios do not).
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface Sample {
  /** Wall-clock milliseconds. */
  readonly ms: number;
  /** CPU milliseconds (user + system) of this process over the same interval. */
  readonly cpuMs: number;
}

/** Runs a full GC when the process was started with --expose-gc (bench/run.ts does). */
export const collectGarbage = (): void => {
  (globalThis as { gc?: () => void }).gc?.();
};

export const timed = async <T>(run: () => T | Promise<T>): Promise<Sample & { value: T }> => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
};

/** `count` timed runs after `warmup` untimed ones, one at a time. */
export const repeat = async (count: number, run: () => unknown, warmup = 1): Promise<Sample[]> => {
  for (let i = 0; i < warmup; i++) await run();
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) samples.push(await timed(run));
  return samples;
};

export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
};
export const median = (values: readonly number[]): number => percentile(values, 50);
export const medianMs = (samples: readonly Sample[]): number => median(samples.map((s) => s.ms));

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

const number = (value: number, digits: number): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const fmt = {
  ms: (value: number): string => `${number(value, value < 10 ? 2 : value < 100 ? 1 : 0)} ms`,
  us: (value: number): string => `${number(value, value < 10 ? 2 : 0)} µs`,
  count: (value: number): string => number(value, 0),
  bytes: (value: number): string =>
    value >= 1 << 20 ? `${number(value / (1 << 20), 1)} MiB` : `${number(value / 1024, 1)} KiB`,
  rate: (value: number, unit: string): string => `${number(value, 0)} ${unit}/s`,
  ratio: (value: number): string => `${number(value, 2)}×`,
};

export interface Row {
  readonly metric: string;
  readonly value: string;
  readonly baseline?: string;
  readonly ratio?: number;
  /** What the ratio (or the value) means, in a few words. */
  readonly note?: string;
}

/** A titled table of results, printed as aligned plain text. */
export class Report {
  readonly #rows: Row[] = [];

  constructor(readonly title: string) {}

  add(row: Row): void {
    this.#rows.push(row);
    // Printed as it comes, so a slow or failing later step still leaves the numbers so far.
    process.stdout.write(`  · ${row.metric}: ${row.value}\n`);
  }

  print(): void {
    const cells = this.#rows.map((r) => [
      r.metric,
      r.value,
      r.baseline ?? '',
      r.ratio === undefined ? '' : fmt.ratio(r.ratio),
      r.note ?? '',
    ]);
    const header = ['metric', 'value', 'baseline (same run)', 'ratio', 'meaning'];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
    const line = (c: readonly string[]) =>
      c
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd();
    process.stdout.write(`\n## ${this.title}\n${line(header)}\n`);
    process.stdout.write(`${line(widths.map((w) => '-'.repeat(w)))}\n`);
    for (const c of cells) process.stdout.write(`${line(c)}\n`);
    process.stdout.write('\n');
  }
}

export const machine = (): string =>
  `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`;
