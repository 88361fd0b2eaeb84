// Kubernetes API access: kubeconfig loading, one shared keep-alive agent for every call, and a
// counting HTTP library so each request (generated client or raw) lands in metrics.kubeRequests.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  ServerConfiguration,
  Watch,
  createConfiguration,
  wrapHttpLibrary,
  type HttpLibrary,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { Metrics } from '../observability/metrics.ts';

export type KubeConfigSource =
  | { readonly kind: 'inCluster' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'yaml'; readonly yaml: string };

type AnyAgent = HttpAgent | HttpsAgent;

/**
 * A KubeConfig whose agents are shared. client-node 1.4 builds a fresh agent (so a fresh TCP and
 * TLS handshake) for every call (kubernetes-client/javascript#2893). Its two public hooks that
 * receive the new agent are overridden to swap in one keep-alive agent per distinct TLS identity.
 */
export class SharedAgentKubeConfig extends KubeConfig {
  readonly #agents = new Map<string, AnyAgent>();

  override async applyToHTTPSOptions(
    opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0],
  ): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const agent = (opts as { agent?: unknown }).agent;
    if (agent !== undefined) (opts as { agent?: unknown }).agent = this.#share(agent as AnyAgent);
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent) context.setAgent(this.#share(agent));
  }

  /** Closes every pooled connection (the service is shutting down). */
  destroyAgents(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  #share(fresh: AnyAgent): AnyAgent {
    // Proxy agents (hpagent, socks) carry their own state; keep the first one built per server.
    const options = (fresh as { options?: Record<string, unknown> }).options ?? {};
    const identity = ['ca', 'cert', 'key', 'pfx', 'rejectUnauthorized', 'servername', 'proxy']
      .map((k) => JSON.stringify(options[k] ?? null))
      .join('\u0000');
    const key = `${fresh.constructor.name}\u0000${this.getCurrentCluster()?.server ?? ''}\u0000${identity}`;
    const existing = this.#agents.get(key);
    if (existing) return existing;
    // A non-zero `timeout` makes Node honour the server's `Keep-Alive: timeout=N` hint and retire
    // an idle socket a second before the server closes it; with none, a request can pick up a
    // socket the server is closing that very moment and fail with ECONNRESET.
    const keepAlive = { ...options, keepAlive: true, keepAliveMsecs: 30_000, timeout: 300_000 };
    const shared =
      fresh.constructor === HttpsAgent
        ? new HttpsAgent(keepAlive)
        : fresh.constructor === HttpAgent
          ? new HttpAgent(keepAlive)
          : fresh;
    this.#agents.set(key, shared);
    return shared;
  }
}

export const loadKubeConfig = (source: KubeConfigSource): SharedAgentKubeConfig => {
  const kc = new SharedAgentKubeConfig();
  switch (source.kind) {
    case 'inCluster':
      kc.loadFromCluster();
      break;
    case 'file':
      kc.loadFromFile(source.path);
      break;
    case 'yaml':
      kc.loadFromString(source.yaml);
      break;
  }
  return kc;
};

/** The verb and resource of an API URL, for metric labels (bounded cardinality: no names). */
export const describeRequest = (
  method: string,
  url: string,
): { verb: string; resource: string } => {
  const parsed = new URL(url);
  const parts = parsed.pathname.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const group = parts[0] === 'api' ? '' : (parts[1] ?? '');
  const scoped = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  // A group-version document is API discovery, which every authenticated user may read.
  if (scoped.length === 0) return { verb: 'discover', resource: group || 'core' };
  const [plural = 'unknown', name, ...sub] = scoped;
  const resource = [group ? `${plural}.${group}` : plural, ...sub].join('/');
  const upper = method.toUpperCase();
  const verb =
    upper === 'GET'
      ? parsed.searchParams.get('watch') === 'true'
        ? 'watch'
        : name === undefined
          ? 'list'
          : 'get'
      : upper === 'POST'
        ? 'create'
        : upper === 'PUT'
          ? 'update'
          : upper.toLowerCase();
  return { verb, resource };
};

export interface KubeClients {
  readonly kubeConfig: KubeConfig;
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  /** Streams watch events; the informers own its lifecycle. */
  readonly watch: Watch;
  /** A call without a generated client (subresources.kubevirt.io). Throws ApiException on
   *  non-2xx; resolves with the (often empty) body text. */
  request(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<string>;
  /** Records a call made outside the HTTP library (the watch stream). */
  count(verb: string, resource: string, code: string): void;
}

export const createKubeClients = (options: {
  kubeConfig: KubeConfig;
  metrics: Metrics;
}): KubeClients => {
  const { kubeConfig, metrics } = options;
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const count = (verb: string, resource: string, code: string): void => {
    metrics.kubeRequests.inc({ verb, resource, code });
  };
  const inner = new IsomorphicFetchHttpLibrary();
  const httpApi: HttpLibrary = wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const { verb, resource } = describeRequest(request.getHttpMethod(), request.getUrl());
      try {
        const response = await inner.send(request).toPromise();
        count(verb, resource, String(response.httpStatusCode));
        return response;
      } catch (error) {
        count(verb, resource, 'error');
        throw error;
      }
    },
  });
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    httpApi,
  });

  return {
    kubeConfig,
    custom: new CustomObjectsApi(configuration),
    core: new CoreV1Api(configuration),
    watch: new Watch(kubeConfig),
    count,
    async request(method, path, body) {
      const context = new RequestContext(cluster.server + path, HttpMethod[method]);
      context.setHeaderParam('Accept', 'application/json');
      if (body !== undefined) {
        context.setHeaderParam('Content-Type', 'application/json');
        context.setBody(JSON.stringify(body));
      }
      await kubeConfig.applySecurityAuthentication(context);
      const response = await httpApi.send(context).toPromise();
      const text = await response.body.text();
      if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
        throw new ApiException(
          response.httpStatusCode,
          'Kubernetes API error',
          text,
          response.headers,
        );
      }
      return text;
    },
  };
};
