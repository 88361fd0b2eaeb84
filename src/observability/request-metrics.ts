// Redfish requests counted and timed by route, method and status, exposed as prom-client's
// Counter and Histogram would expose them. Every request records here, so recording allocates
// and hashes nothing: each (method, route, status) has one tally, found through nested maps, and
// the cached-read path keeps its tallies per route. prom-client's own Counter and Histogram
// hash their labels into a string on every call, which cost a fifth of a cached read's CPU
// (issue 12).
import type { Metric, Registry } from 'prom-client';
import { memoised } from '../util/memo.ts';

/** One (method, route, status): what a request records when answered. */
export interface RequestTally {
  record(seconds: number): void;
}

export interface RequestMetrics {
  tally(method: string, route: string, status: string): RequestTally;
}

export interface RequestMetricsOptions {
  readonly registry: Registry;
  readonly counterName: string;
  readonly counterHelp: string;
  readonly histogramName: string;
  readonly histogramHelp: string;
  /** Upper bounds of the histogram's buckets, ascending (seconds). */
  readonly buckets: readonly number[];
}

interface Count {
  readonly labels: { readonly method: string; readonly route: string; readonly status: string };
  value: number;
  /** Recorded since the start or the last reset: listed, in the order of first records, as
   *  prom-client lists its label sets. */
  listed: boolean;
}

interface Timing {
  readonly labels: { readonly method: string; readonly route: string };
  /** Requests per bucket, not cumulative; the last one is +Inf. */
  readonly perBucket: Float64Array;
  sum: number;
  count: number;
  listed: boolean;
}

/** One line of a family, as prom-client's get() reports it. */
interface Sample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName?: string;
}

/** A family the registry reads like prom-client's own: it calls get() and reset() only. */
const family = (
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => Sample[],
  reset: () => void,
): Metric => {
  const described = { name, help, type, aggregator: 'sum' } as const;
  const metric = {
    ...described,
    get: () => Promise.resolve({ ...described, values: values() }),
    reset,
  };
  // prom-client's typings list only its own classes (and give `type` as a numeric enum, where
  // the registry reads the strings used here).
  return metric as unknown as Metric;
};

export const createRequestMetrics = (options: RequestMetricsOptions): RequestMetrics => {
  const { buckets } = options;
  const byMethod = new Map<string, Map<string, Map<string, RequestTally>>>();
  const timings = new Map<string, Map<string, Timing>>();
  const listedCounts: Count[] = [];
  const listedTimings: Timing[] = [];

  const timingOf = (method: string, route: string): Timing =>
    memoised(
      memoised(timings, method, () => new Map<string, Timing>()),
      route,
      () => ({
        labels: { method, route },
        perBucket: new Float64Array(buckets.length + 1),
        sum: 0,
        count: 0,
        listed: false,
      }),
    );

  const created = (method: string, route: string, status: string): RequestTally => {
    const count: Count = { labels: { method, route, status }, value: 0, listed: false };
    const timing = timingOf(method, route);
    return {
      record(seconds) {
        if (!count.listed) {
          count.listed = true;
          listedCounts.push(count);
        }
        if (!timing.listed) {
          timing.listed = true;
          listedTimings.push(timing);
        }
        count.value++;
        timing.count++;
        timing.sum += seconds;
        let bucket = 0;
        while (bucket < buckets.length && seconds > (buckets[bucket] ?? Infinity)) bucket++;
        timing.perBucket[bucket] = (timing.perBucket[bucket] ?? 0) + 1;
      },
    };
  };

  options.registry.registerMetric(
    family(
      options.counterName,
      options.counterHelp,
      'counter',
      () => listedCounts.map(({ labels, value }) => ({ labels, value })),
      () => {
        for (const count of listedCounts.splice(0)) {
          count.value = 0;
          count.listed = false;
        }
      },
    ),
  );
  options.registry.registerMetric(
    family(
      options.histogramName,
      options.histogramHelp,
      'histogram',
      () =>
        listedTimings.flatMap(({ labels, perBucket, sum, count }) => {
          let cumulative = 0;
          const bucketValues = [...buckets, '+Inf' as const].map((le, i) => {
            cumulative += perBucket[i] ?? 0;
            return {
              labels: { le, ...labels },
              value: cumulative,
              metricName: `${options.histogramName}_bucket`,
            };
          });
          return [
            ...bucketValues,
            { labels, value: sum, metricName: `${options.histogramName}_sum` },
            { labels, value: count, metricName: `${options.histogramName}_count` },
          ];
        }),
      () => {
        for (const timing of listedTimings.splice(0)) {
          timing.perBucket.fill(0);
          timing.sum = 0;
          timing.count = 0;
          timing.listed = false;
        }
      },
    ),
  );

  return {
    tally: (method, route, status) =>
      memoised(
        memoised(
          memoised(byMethod, method, () => new Map<string, Map<string, RequestTally>>()),
          route,
          () => new Map<string, RequestTally>(),
        ),
        status,
        () => created(method, route, status),
      ),
  };
};
