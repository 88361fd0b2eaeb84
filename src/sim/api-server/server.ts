// The simulated Kubernetes API server: node:http(s) on loopback, bearer-token auth, fault
// switches, discovery, and the resource routes; every failure is answered with a Status body.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../util/clock.ts';
import type { Faults } from '../faults.ts';
import type { ObjectStore, SubresourceRegistry } from '../types.ts';
import { StatusError } from '../types.ts';
import { servedTypes } from '../resource-types.ts';
import { accessReviewPath, handleAccessReview } from './access-review.ts';
import type { UserInfo } from './rbac-authorizer.ts';
import { authorize, forbidden } from './rbac-authorizer.ts';
import { requestAttributes } from './request-info.ts';
import { createTokenIssuer } from './service-account-tokens.ts';
import { discovery } from './discovery.ts';
import type { ApiContext } from './handlers.ts';
import { handleRoute } from './handlers.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { resolveRoute } from './routes.ts';
import { badRequest, methodNotAllowed, sendStatus, toStatusError, unknownPath } from './status.ts';
import { generateTls } from './tls.ts';
import { createWatchHub } from './watch.ts';

export interface ApiServerOptions {
  readonly store: ObjectStore;
  readonly subresources: SubresourceRegistry;
  readonly faults?: Faults;
  readonly clock: Clock;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (ephemeral). */
  readonly port?: number;
  /** HTTPS with a generated CA (default true); false serves plain HTTP. */
  readonly tls?: boolean;
  /** Bearer token clients must send; generated when absent. */
  readonly token?: string;
  /** API groups not installed on this cluster (cdi.kubevirt.io without CDI): no discovery, 404. */
  readonly absentGroups?: readonly string[];
}

export interface ApiServer {
  readonly url: string;
  /** PEM of the CA that signed the server certificate (TLS only). */
  readonly caPem?: string;
  readonly token: string;
  /** A kubeconfig (YAML) for this server: CA data with TLS, insecure-skip-tls-verify without. */
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;
  /** Ends open watches, drops connections and stops listening. */
  close(): Promise<void>;
  /** Requests received so far, optionally only those matching method and path prefix. */
  requestCount(filter?: { method?: string; pathPrefix?: string }): number;
  /** Stops or starts serving API groups, as deleting or installing their CRDs does: open
   *  watches end, and requests for a group no longer served answer 404. */
  setAbsentGroups(groups: readonly string[]): void;
}

// Probes and /version are readable without credentials (system:public-info-viewer).
const anonymousPaths = new Set(['/version', '/healthz', '/livez', '/readyz']);

/** The kubeconfig's identity: a cluster admin (system:masters), never subject to RBAC. */
const admin: UserInfo = {
  name: 'kubernetes-admin',
  groups: ['system:masters', 'system:authenticated'],
};

const delay = (clock: Clock, ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => clock.setTimeout(resolve, ms)) : Promise.resolve();

export const startApiServer = async (options: ApiServerOptions): Promise<ApiServer> => {
  const { store, clock, faults } = options;
  const host = options.host ?? '127.0.0.1';
  const useTls = options.tls ?? true;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const tls = useTls ? await generateTls(clock) : undefined;
  const counts = new Map<string, number>();
  const servedOf = (absent: readonly string[]) =>
    servedTypes.filter((t) => !absent.includes(t.group));
  let served = servedOf(options.absentGroups ?? []);
  const tokens = createTokenIssuer(store, clock);
  let expiredThrough = 0;
  const watches = createWatchHub({
    store,
    clock,
    expiredThrough: () => expiredThrough,
    eventDelayMs: () => faults?.watchDelayMs ?? 0,
  });
  const ctx: ApiContext = {
    store,
    subresources: options.subresources,
    faults,
    clock,
    watches,
    expiredThrough: () => expiredThrough,
    tokens,
  };
  let serverAddress = '';
  /** The user a request authenticates as: the admin token, or a ServiceAccount token. */
  const authenticate = (req: IncomingMessage): UserInfo | undefined => {
    const header = req.headers.authorization ?? '';
    if (header === `Bearer ${token}`) return admin;
    return header.startsWith('Bearer ') ? tokens.authenticate(header.slice(7)) : undefined;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = req.method ?? 'GET';
    counts.set(`${method} ${url.pathname}`, (counts.get(`${method} ${url.pathname}`) ?? 0) + 1);
    const outage = faults?.unavailableRemainingMs() ?? 0;
    if (outage > 0) {
      throw new StatusError(
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
        {
          retryAfterSeconds: Math.ceil(outage / 1000),
        },
      );
    }
    await delay(clock, faults?.latencyMs ?? 0);
    const user = anonymousPaths.has(url.pathname) ? admin : authenticate(req);
    if (!user) throw new StatusError('Unauthorized', 'Unauthorized', {});
    if (user !== admin) {
      const attributes = requestAttributes(method, url.pathname, url.searchParams);
      const decision = authorize(store, user, attributes);
      if (!decision.allowed) throw forbidden(user, attributes, decision.reason);
    }
    if (url.pathname === accessReviewPath) {
      return handleAccessReview(req, res, (attributes) =>
        user === admin ? { allowed: true, reason: '' } : authorize(store, user, attributes),
      );
    }
    const doc = discovery(url.pathname, serverAddress, served);
    if (doc) {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      res.writeHead(200, { 'Content-Type': doc.contentType, 'Cache-Control': 'no-cache, private' });
      res.end(method === 'HEAD' ? undefined : doc.body);
      return;
    }
    const route = resolveRoute(served, url.pathname);
    if (!route) throw unknownPath();
    await handleRoute(ctx, req, res, route, url.searchParams);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // A refused period also cuts requests arriving on kept-alive connections.
    if (faults?.refusingConnections()) {
      req.socket.destroy();
      return;
    }
    req.on('error', () => res.destroy());
    serve(req, res).catch((error: unknown) => {
      const status =
        error instanceof TypeError && /Invalid URL/.test(error.message)
          ? badRequest('invalid request URL')
          : toStatusError(error);
      if (status.code === 413) res.setHeader('Connection', 'close');
      sendStatus(res, status);
      // An oversized body is not drained: the connection closes after the answer.
      if (status.code === 413) res.on('finish', () => req.destroy());
    });
  };

  const server: Server = tls
    ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, onRequest)
    : createHttpServer(onRequest);
  server.on('connection', (socket) => {
    if (faults?.refusingConnections()) socket.destroy();
  });
  const unsubscribe = faults?.subscribe((action) => {
    switch (action) {
      case 'dropWatches':
        watches.endAll();
        break;
      case 'expireResourceVersions':
        expiredThrough = Number(store.currentResourceVersion());
        watches.expireAll();
        break;
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  serverAddress = `${host}:${port}`;
  const url = `${useTls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfig = () => kubeconfigYaml({ url, caPem: tls?.caPem, token });

  return {
    url,
    ...(tls ? { caPem: tls.caPem } : {}),
    token,
    kubeconfig,
    writeKubeconfig: (path) => writeFile(path, kubeconfig(), { mode: 0o600 }),
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe?.();
        watches.endAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    requestCount: (filter = {}) => {
      let total = 0;
      for (const [key, n] of counts) {
        const [method = '', path = ''] = key.split(' ');
        if (filter.method !== undefined && filter.method.toUpperCase() !== method) continue;
        if (filter.pathPrefix !== undefined && !path.startsWith(filter.pathPrefix)) continue;
        total += n;
      }
      return total;
    },
    setAbsentGroups(groups) {
      served = servedOf(groups);
      // A removed CRD ends its watches; the others reconnect at once (a simpler, harmless
      // over-approximation than tracking which stream serves which group).
      watches.endAll();
    },
  };
};
