// The composition root of a running service: config, Kubernetes connection (a real cluster or
// the embedded simulator), backend caches, sessions, authentication, scope, the Fastify app and
// its listener, plus config hot reload. main.ts turns the command line into ServeOptions.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import { createAuthenticator } from '../auth/authenticator.ts';
import { createScope } from '../auth/scope.ts';
import { startSessionSweeper } from '../auth/session-sweeper.ts';
import { createSessionManager, type SessionManager } from '../auth/sessions.ts';
import { createDemoConfig, type DemoCredential } from '../config/demo.ts';
import { loadConfigFile, type LoadedConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { watchConfig } from '../config/watch.ts';
import { loadKubeConfig, type KubeConfigSource } from '../kube/client.ts';
import { createKubeBackend, type KubeBackend } from '../kube/kube-backend.ts';
import { createKubeSessionStore, type KubeSessionStore } from '../kube/session-store.ts';
import { createKubeSettingsStore } from '../kube/settings-store.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/simulator.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { uuidV5 } from '../util/uuid.ts';
import type { ServiceEndpoint } from '../redfish/handler.ts';
import { listen, type Listener } from './listener.ts';

export interface ServeOptions {
  /** Config file; absent = the demo config (which implies the simulator). */
  readonly configPath?: string;
  /** Where the cluster is: a kubeconfig file, or in-cluster when absent and not simulating. */
  readonly kubeconfigPath?: string;
  /** Run against the embedded simulator. */
  readonly simulate: boolean;
  /** Extra simulated VMs beyond the demo scenario. */
  readonly vms?: number;
  /** The pod's IP (POD_IP from the downward API), shown as the Manager's own interface. */
  readonly podIp?: string;
  /** Overrides server.port / server.host of the config (e.g. `--port`, or 0 in tests). */
  readonly port?: number;
  readonly host?: string;
  /** Namespace for session Secrets when the config names none (the pod's own namespace). */
  readonly serviceNamespace?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Simulator settings beyond the seeded VM count (tests pass instant delays, cluster gates). */
  readonly simulatorOptions?: Omit<SimulatorOptions, 'vms'>;
}

export interface RunningService {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly backend: KubeBackend;
  readonly simulator?: Simulator;
  /** Set when the demo config is in force: the users to print. */
  readonly demoCredentials?: readonly DemoCredential[];
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/** Product identity shown in the service root and the Managers. */
const product = 'kubevirt-redfish';
const firmwareVersion = '0.1.0';
/** Namespace for the service UUID: every replica of one configuration derives the same UUID. */
const serviceUuidNamespace = '0f3c5d2e-9a41-4b7e-8c55-6d1f2a9b7e10';
const defaultSessionNamespace = 'kubevirt-redfish';

const namespacesOf = (config: Config): string[] => [
  ...new Set(config.chassis.map((c) => c.namespace)),
];

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
    let loaded: LoadedConfig | undefined;
    let demoCredentials: readonly DemoCredential[] | undefined;
    let config: Config;
    if (options.configPath) {
      loaded = await loadConfigFile(options.configPath);
      for (const warning of loaded.warnings) logger.warn({ path: options.configPath }, warning);
      config = loaded.config;
    } else {
      const demo = createDemoConfig();
      config = demo.config;
      demoCredentials = demo.credentials;
    }
    const simulate = options.simulate || !options.configPath;

    let simulator: Simulator | undefined;
    let source: KubeConfigSource;
    if (simulate) {
      simulator = await startSimulator({
        onError: (error, key) => logger.error({ err: error, key }, 'simulator reconcile failed'),
        ...options.simulatorOptions,
        vms: options.vms ?? 0,
      });
      const sim = simulator;
      cleanups.push(() => sim.close());
      source = { kind: 'yaml', yaml: simulator.kubeconfig() };
      logger.info({ url: simulator.url }, 'embedded Kubernetes API simulator started');
    } else if (options.kubeconfigPath) {
      source = { kind: 'file', path: options.kubeconfigPath };
    } else {
      source = { kind: 'inCluster' };
    }
    const kubeConfig = loadKubeConfig(source);

    const backend = createKubeBackend({
      kubeConfig,
      namespaces: namespacesOf(config),
      logger,
      metrics,
      clock,
      datavolume: {
        size: config.datavolume.storageSize,
        ...(config.datavolume.storageClass ? { storageClass: config.datavolume.storageClass } : {}),
        ...(config.datavolume.certConfigMap
          ? { certConfigMap: config.datavolume.certConfigMap }
          : {}),
        insecureSkipVerify: config.datavolume.allowInsecureTls,
      },
    });
    await backend.start();
    cleanups.push(() => backend.stop());

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
      set: (seconds: number) => settingsStore.update({ sessionTimeoutSeconds: seconds }),
    };
    const sessions: SessionManager = createSessionManager({
      store: sessionStore,
      clock,
      logger,
      timeoutSeconds: sessionTimeout.current,
    });
    cleanups.push(startSessionSweeper({ sessions, clock, logger }));
    const authenticator = createAuthenticator({ getConfig, sessions, clock, metrics, logger });
    const scope = createScope({ getConfig, backend });

    // Known once the listener is bound, which needs the app first.
    const bound: { endpoint?: ServiceEndpoint } = {};
    const app = await buildApp({
      backend,
      authenticator,
      scope,
      logger,
      metrics,
      clock,
      service: {
        uuid: serviceUuid(config),
        product,
        firmwareVersion,
        endpoint: () => bound.endpoint,
      },
      sessions: { manager: sessions, timeout: sessionTimeout },
      accounts: () =>
        current.authentication.users.map((u) => ({ userName: u.username, role: u.role })),
      isReady: () => backend.isReady() && sessionStore.isReady() && settingsStore.isReady(),
    });
    cleanups.push(() => app.close());

    const host = options.host ?? config.server.host;
    const tls =
      config.server.tls.enabled && config.server.tls.certFile && config.server.tls.keyFile
        ? { certFile: config.server.tls.certFile, keyFile: config.server.tls.keyFile }
        : undefined;
    const listener: Listener = await listen({
      host,
      port: options.port ?? config.server.port,
      handler: (request, response) => app.routing(request, response),
      ...(tls ? { tls } : {}),
      onTlsError: (error) => logger.error({ err: error }, 'TLS certificate reload failed'),
    });
    cleanups.push(() => listener.close());
    bound.endpoint = {
      port: listener.port,
      tls: tls !== undefined,
      addresses: serviceAddresses(options.podIp, host),
    };
    const scheme = tls ? 'https' : 'http';
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${listener.port}`;
    logger.info({ url, namespaces: namespacesOf(config) }, 'Redfish service listening');

    if (options.configPath && loaded) {
      const stopWatching = watchConfig({
        path: options.configPath,
        initial: loaded,
        clock,
        onChange: (update) => {
          current = update.config;
          backend.setNamespaces(namespacesOf(update.config));
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
      app,
      backend,
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
