import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { createRequestMetrics } from './request-metrics.ts';

const buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const names = {
  counterName: 'redfish_http_requests_total',
  counterHelp: 'Requests',
  histogramName: 'redfish_http_request_duration_seconds',
  histogramHelp: 'Latency',
};

/** The same requests, recorded here and through prom-client's own Counter and Histogram. */
const recordBoth = (requests: readonly (readonly [string, string, string, number])[]) => {
  const ours = new Registry();
  const tallies = createRequestMetrics({ registry: ours, ...names, buckets });
  const theirs = new Registry();
  const counter = new Counter({
    name: names.counterName,
    help: names.counterHelp,
    labelNames: ['method', 'route', 'status'],
    registers: [theirs],
  });
  const histogram = new Histogram({
    name: names.histogramName,
    help: names.histogramHelp,
    labelNames: ['method', 'route'],
    buckets,
    registers: [theirs],
  });
  for (const [method, route, status, seconds] of requests) {
    tallies.tally(method, route, status).record(seconds);
    counter.inc({ method, route, status });
    histogram.observe({ method, route }, seconds);
  }
  return { ours, theirs };
};

void describe('request metrics', () => {
  void it('expose exactly what prom-client Counter and Histogram expose for the same requests', async () => {
    const { ours, theirs } = recordBoth([
      ['GET', '/redfish/v1/Systems/:systemId', '200', 0.0004],
      ['GET', '/redfish/v1/Systems/:systemId', '200', 0.001],
      ['GET', '/redfish/v1/Systems/:systemId', '404', 0.003],
      ['HEAD', '/redfish/v1/Systems/:systemId', '200', 0.02],
      ['POST', '/redfish/v1/SessionService/Sessions', '201', 0.3],
      ['GET', 'unmatched', '404', 7],
      ['GET', '/redfish/v1', '200', 5],
    ]);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  void it('start from zero again on reset, as prom-client metrics do', async () => {
    const { ours, theirs } = recordBoth([['GET', '/redfish/v1', '200', 0.002]]);
    ours.resetMetrics();
    theirs.resetMetrics();
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  void it('hand out one tally per method, route and status', () => {
    const tallies = createRequestMetrics({ registry: new Registry(), ...names, buckets });
    assert.equal(tallies.tally('GET', '/a', '200'), tallies.tally('GET', '/a', '200'));
    assert.notEqual(tallies.tally('GET', '/a', '200'), tallies.tally('GET', '/a', '404'));
  });
});
