// Prometheus metrics of the service, in one registry per process (no global default registry,
// so tests can build as many apps as they like).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { createRequestMetrics, type RequestMetrics } from './request-metrics.ts';

export interface Metrics {
  readonly registry: Registry;
  /** Redfish requests by route template, method and status code: counted, and timed by route
   *  template and method. */
  readonly httpRequests: RequestMetrics;
  /** Kubernetes API calls made by the adapter, by verb, resource and HTTP code. */
  readonly kubeRequests: Counter<'verb' | 'resource' | 'code'>;
  /** Informer (re)starts after an error or a 410, by resource. */
  readonly informerRestarts: Counter<'resource'>;
  /** 1 while an informer's cache is synced, else 0. */
  readonly informerSynced: Gauge<'resource'>;
  /** Virtual-media insertions by outcome: a new import started, or the image was already in. */
  readonly mediaImports: Counter<'result'>;
  /** Failed logins (Basic or session), by reason. */
  readonly authFailures: Counter<'reason'>;
  /** 1 for the cluster's current KubeVirt and CDI releases and where they were learnt. */
  readonly clusterInfo: Gauge<'source' | 'kubevirt_version' | 'cdi_version'>;
  /** 1 while a KubeVirt feature gate the service depends on is on, else 0. */
  readonly featureGateEnabled: Gauge<'gate'>;
}

export const createMetrics = (options: { processMetrics?: boolean } = {}): Metrics => {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: createRequestMetrics({
      registry,
      counterName: 'redfish_http_requests_total',
      counterHelp: 'Redfish HTTP requests by route, method and status code',
      histogramName: 'redfish_http_request_duration_seconds',
      histogramHelp: 'Redfish HTTP request latency by route and method',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    kubeRequests: new Counter({
      name: 'kube_api_requests_total',
      help: 'Kubernetes API calls made by the adapter, by verb, resource and HTTP code',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    }),
    informerRestarts: new Counter({
      name: 'kube_informer_restarts_total',
      help: 'Informer restarts after an error or an expired resource version',
      labelNames: ['resource'],
      registers,
    }),
    informerSynced: new Gauge({
      name: 'kube_informer_synced',
      help: '1 while the informer cache is synced',
      labelNames: ['resource'],
      registers,
    }),
    mediaImports: new Counter({
      name: 'virtual_media_imports_total',
      help: 'Virtual-media insertions by outcome (started: a new import; unchanged: already inserted)',
      labelNames: ['result'],
      registers,
    }),
    authFailures: new Counter({
      name: 'redfish_auth_failures_total',
      help: 'Failed authentications by reason',
      labelNames: ['reason'],
      registers,
    }),
    clusterInfo: new Gauge({
      name: 'kubevirt_cluster_info',
      help: 'KubeVirt and CDI releases of the cluster (source: cluster, config or unknown)',
      labelNames: ['source', 'kubevirt_version', 'cdi_version'],
      registers,
    }),
    featureGateEnabled: new Gauge({
      name: 'kubevirt_feature_gate_enabled',
      help: 'KubeVirt feature gates the service depends on: 1 when on',
      labelNames: ['gate'],
      registers,
    }),
  };
};
