// The composition root of a running service: config, Kubernetes connection (a real cluster or
// the embedded simulator), backend caches, sessions, authentication, scope, the Fastify app and
// its listener, plus config hot reload. main.ts turns the command line into ServeOptions.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import { createAuthenticator } from '../auth/authenticator.ts';
import { createLoginLimiter } from '../auth/rate-limit.ts';
import { createScope } from '../auth/scope.ts';
import { startSessionSweeper } from '../auth/session-sweeper.ts';
import { createSessionManager, type SessionManager } from '../auth/sessions.ts';
import type { DemoCredential } from '../config/demo.ts';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { watchConfig } from '../config/watch.ts';
import { cdiHasInsecureSkipVerify, describeFacts } from '../kube/capabilities.ts';
import { createKubeClients } from '../kube/client.ts';
import { startLeaderElection, type LeaderElection } from '../kube/leader-lease.ts';
import { startLeftoverSweeper } from '../kube/leftover-sweeper.ts';
import { createKubeBackend, type KubeBackend } from '../kube/kube-backend.ts';
import { createKubeLoginTrustStore } from '../kube/login-trust-store.ts';
import { createKubeSessionStore, type KubeSessionStore } from '../kube/session-store.ts';
import { runSelfCheck } from '../kube/self-check.ts';
import { createKubeSettingsStore } from '../kube/settings-store.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import type { Simulator } from '../sim/simulator.ts';
import { answerUnparsed } from '../redfish/unparsed-requests.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { uuidV5 } from '../util/uuid.ts';
import type { ServiceEndpoint } from '../redfish/handler.ts';
import {
  connectCluster,
  kubeBackendOptionsOf,
  namespacesOf,
  vmLabelSelectorsOf,
  type ConnectionOptions,
} from './cluster-connection.ts';
import { listen, type Listener } from './listener.ts';
import { productVersion } from './version.ts';

export interface ServeOptions extends ConnectionOptions {
  /** The pod's IP (POD_IP from the downward API), shown as the Manager's own interface. */
  readonly podIp?: string;
  /** Overrides server.port / server.host of the config (e.g. `--port`, or 0 in tests). */
  readonly port?: number;
  /** Overrides server.metrics_port. Default: the config's, except that an ephemeral Redfish
   *  port (`port: 0`, as tests ask) gets an ephemeral metrics port too, so that services started
   *  side by side never contend for the same fixed one. */
  readonly metricsPort?: number;
  readonly host?: string;
  /** Namespace for session Secrets when the config names none (the pod's own namespace). */
  readonly serviceNamespace?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Leader election and leftover sweeping timings (defaults suit production; tests shorten). */
  readonly background?: {
    readonly identity?: string;
    readonly leaseDurationMs?: number;
    readonly retryPeriodMs?: number;
    readonly leftoverGraceMs?: number;
    readonly leftoverIntervalMs?: number;
  };
}

export interface RunningService {
  readonly url: string;
  /** Where GET /metrics answers (plain HTTP, its own port). */
  readonly metricsUrl: string;
  readonly app: FastifyInstance;
  readonly backend: KubeBackend;
  /** Whether this instance holds the leader Lease (runs the sweeps). */
  readonly leader: LeaderElection;
  readonly simulator?: Simulator;
  /** Set when the demo config is in force: the users to print. */
  readonly demoCredentials?: readonly DemoCredential[];
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/** Product identity shown in the service root and the Managers. */
const product = 'kubevirt-redfish';
/** Namespace for the service UUID: every replica of one configuration derives the same UUID. */
const serviceUuidNamespace = '0f3c5d2e-9a41-4b7e-8c55-6d1f2a9b7e10';
const defaultSessionNamespace = 'kubevirt-redfish';
/** The coordination.k8s.io Lease whose holder runs the sweeps (in the session namespace). */
const leaderLeaseName = 'kubevirt-redfish-leader';

/** `host:port` for a URL, brackets around an IPv6 address. */
const authority = (host: string, port: number): string =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`;

const serviceUuid = (config: Config): string =>
  uuidV5(
    serviceUuidNamespace,
    config.chassis
      .map((c) => `${c.name}/${c.namespace}`)
      .sort()
      .join(','),
  );

/** The service's own address: the pod IP when known, else the listen host unless it is a
 *  wildcard (then the service cannot tell which of its addresses clients use). */
const serviceAddresses = (podIp: string | undefined, host: string): readonly string[] =>
  podIp ? [podIp] : ['0.0.0.0', '::', ''].includes(host) ? [] : [host];

export const serve = async (options: ServeOptions): Promise<RunningService> => {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({ processMetrics: true });
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const { config, loaded, demoCredentials, simulator, kubeConfig } = await connectCluster(
      options,
      cleanups,
    );
    // This replica's name: the leader Lease's holder and the writer of its audit Events.
    const identity = options.background?.identity ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
    const backend = createKubeBackend({
      ...kubeBackendOptionsOf(config, { kubeConfig, logger, metrics, clock }),
      instance: identity,
    });
    cleanups.push(() => backend.stop());
    await backend.start();
    const facts = backend.clusterFacts();
    if (config.datavolume.allowInsecureTls && facts.cdi) {
      // CDI before v1.66 has no http.insecureSkipVerify: its API server would prune the field
      // and every https import from a self-signed server would fail without saying why.
      const supported = cdiHasInsecureSkipVerify(facts);
      if (supported === false)
        throw new ConfigError(options.configPath ?? 'configuration', [
          `datavolume.allow_insecure_tls: CDI ${facts.cdiVersion ?? ''} cannot skip TLS verification (needs CDI v1.66 or later); remove the setting and trust the image server through datavolume.cert_config_map`,
        ]);
      if (supported === undefined)
        logger.warn(
          { setting: 'datavolume.allow_insecure_tls' },
          'CDI version unknown: skipping TLS verification needs CDI v1.66 or later',
        );
    }

    const sessionNamespace =
      config.sessions.namespace ?? options.serviceNamespace ?? defaultSessionNamespace;
    if (simulator && !simulator.store.get('namespaces', undefined, sessionNamespace)) {
      simulator.store.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: sessionNamespace },
      });
    }
    const sessionStore: KubeSessionStore = createKubeSessionStore({
      kubeConfig,
      namespace: sessionNamespace,
      logger,
      metrics,
      clock,
    });
    sessionStore.start();
    cleanups.push(() => sessionStore.stop());
    // SessionTimeout as a client set it (SessionService PATCH), beside the sessions.
    const settingsStore = createKubeSettingsStore({
      kubeConfig,
      namespace: sessionNamespace,
      logger,
      metrics,
      clock,
    });
    settingsStore.start();
    cleanups.push(() => settingsStore.stop());

    // Until it passes, the service is not ready and /readyz names what is missing; it runs again
    // every 10 s, so creating the namespace or the grant later makes the service ready.
    let selfCheckProblems: readonly string[] = ['start-up self-check not finished'];
    let stopSelfCheck = () => {};
    const selfCheck = async (): Promise<void> => {
      const problems = await runSelfCheck({
        kubeConfig,
        metrics,
        vmNamespaces: namespacesOf(current),
        sessionNamespace,
      }).catch((error: unknown) => [`start-up self-check failed: ${String(error)}`]);
      for (const problem of problems) logger.error({ problem }, 'start-up self-check');
      if (problems.length === 0 && selfCheckProblems.length > 0)
        logger.info('start-up self-check passed: sessions namespace and permissions in place');
      selfCheckProblems = problems;
      if (problems.length > 0) stopSelfCheck = clock.setTimeout(() => void selfCheck(), 10_000);
    };
    cleanups.push(() => stopSelfCheck());

    let current = config;
    const getConfig = () => current;
    const sessionTimeout = {
      // A hand-edited value outside DSP0266's 30–86400 s is ignored, not applied.
      current: () => {
        const stored = settingsStore.get().sessionTimeoutSeconds;
        return stored !== undefined && stored >= 30 && stored <= 86_400
          ? stored
          : current.sessions.timeoutSeconds;
      },
      set: (seconds: number, options?: { signal?: AbortSignal }) =>
        settingsStore.update({ sessionTimeoutSeconds: seconds }, options),
    };
    const sessions: SessionManager = createSessionManager({
      store: sessionStore,
      clock,
      logger,
      timeoutSeconds: sessionTimeout.current,
    });
    // Sweeps run on one replica: the holder of a Lease beside the sessions. The leftover sweep
    // runs each time this replica becomes leader and periodically while it leads.
    const background = options.background ?? {};
    const backgroundClients = createKubeClients({ kubeConfig, metrics });
    const isLeader = () => leader.isLeader();
    const leftovers = startLeftoverSweeper({
      clients: backgroundClients,
      namespaces: () => namespacesOf(current),
      isLeader,
      clock,
      logger,
      ...(background.leftoverGraceMs !== undefined && { graceMs: background.leftoverGraceMs }),
      ...(background.leftoverIntervalMs !== undefined && {
        intervalMs: background.leftoverIntervalMs,
      }),
    });
    cleanups.push(() => leftovers.stop());
    const leader = startLeaderElection({
      clients: backgroundClients,
      namespace: sessionNamespace,
      name: leaderLeaseName,
      identity,
      clock,
      logger,
      ...(background.leaseDurationMs !== undefined && {
        leaseDurationMs: background.leaseDurationMs,
      }),
      ...(background.retryPeriodMs !== undefined && { retryPeriodMs: background.retryPeriodMs }),
      onStartedLeading: () => leftovers.sweepNow(),
    });
    cleanups.push(() => leader.stop());
    cleanups.push(startSessionSweeper({ sessions, clock, logger, isLeader }));
    // Which user logged in from which client, kept in the cluster so the lockout's exemption
    // for such clients survives a restart (issue 11 item 8).
    const loginTrust = createKubeLoginTrustStore({
      kubeConfig,
      namespace: sessionNamespace,
      logger,
      metrics,
      clock,
    });
    loginTrust.start();
    cleanups.push(() => loginTrust.stop());
    // The lockout is read once, at start-up: a change needs a restart (logged, config/changes.ts).
    const { lockout } = config.authentication;
    const authenticator = createAuthenticator({
      getConfig,
      sessions,
      clock,
      metrics,
      logger,
      limiter: createLoginLimiter({
        clock,
        trustRecord: loginTrust,
        perClient: lockout.perClient,
        perUser: lockout.perUser,
      }),
      // Unknown tokens from one client are throttled like its failed logins.
      tokenLimiter: createLoginLimiter({ clock, perClient: lockout.perClient }),
    });
    const scope = createScope({ getConfig, backend });

    // Known once the listener is bound, which needs the app first.
    const bound: { endpoint?: ServiceEndpoint } = {};
    const app = await buildApp({
      backend,
      events: backend.events,
      authenticator,
      scope,
      logger,
      metrics,
      clock,
      service: {
        uuid: serviceUuid(config),
        product,
        firmwareVersion: productVersion,
        endpoint: () => bound.endpoint,
      },
      sessions: { manager: sessions, timeout: sessionTimeout },
      accounts: () =>
        current.authentication.users.map((u) => ({ userName: u.username, role: u.role })),
      isReady: () =>
        selfCheckProblems.length === 0 &&
        backend.isReady() &&
        sessionStore.isReady() &&
        settingsStore.isReady(),
      notReadyReasons: () => selfCheckProblems,
      readyDetail: () => describeFacts(backend.clusterFacts()),
      credentialsOnlyOverTls: config.server.tls.enabled,
    });
    cleanups.push(() => app.close());
    await selfCheck();

    const host = options.host ?? config.server.host;
    const tls =
      config.server.tls.enabled && config.server.tls.certFile && config.server.tls.keyFile
        ? { certFile: config.server.tls.certFile, keyFile: config.server.tls.keyFile }
        : undefined;
    const listener: Listener = await listen({
      host,
      port: options.port ?? config.server.port,
      handler: (request, response) => app.serveHttp(request, response),
      ...(tls ? { tls } : {}),
      onTlsError: (error) => logger.error({ err: error }, 'TLS certificate reload failed'),
      answerUnparsed,
    });
    cleanups.push(() => listener.close());
    bound.endpoint = {
      port: listener.port,
      tls: tls !== undefined,
      addresses: serviceAddresses(options.podIp, host),
    };
    const scheme = tls ? 'https' : 'http';
    const url = `${scheme}://${authority(host, listener.port)}`;
    logger.info({ url, namespaces: namespacesOf(config) }, 'Redfish service listening');
    const metricsServer = await startMetricsServer({
      host,
      port: options.metricsPort ?? (options.port === 0 ? 0 : config.server.metricsPort),
      metrics,
    });
    cleanups.push(() => metricsServer.close());
    const metricsUrl = `http://${authority(host, metricsServer.port)}`;
    logger.info({ url: `${metricsUrl}/metrics` }, 'metrics listening');

    if (options.configPath && loaded) {
      const stopWatching = watchConfig({
        path: options.configPath,
        initial: loaded,
        clock,
        onChange: (update) => {
          current = update.config;
          backend.setNamespaces(namespacesOf(update.config), vmLabelSelectorsOf(update.config));
          for (const path of update.changes.restartRequired)
            logger.warn({ path }, 'config change takes effect after a restart');
          for (const user of update.changes.revokedUsers)
            void sessions
              .revokeUser(user)
              .catch((error: unknown) =>
                logger.warn({ err: error, user }, 'ending the sessions of a changed user failed'),
              );
          logger.info({ warnings: update.warnings }, 'configuration reloaded');
        },
        onError: (error) =>
          logger.error({ err: error }, 'configuration reload failed; the previous one stays'),
      });
      cleanups.push(stopWatching);
    }

    return {
      url,
      metricsUrl,
      app,
      backend,
      leader,
      metrics,
      ...(simulator ? { simulator } : {}),
      ...(demoCredentials ? { demoCredentials } : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
};
