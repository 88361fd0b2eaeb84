// Fixtures for the virtual-media suites: the simulator, the real service stack (kube backend,
// config, authenticator, scope, Fastify app) listening on loopback, and an image server whose
// downloads the test can hold half-way, fail with 404 or protect with Basic auth.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createAuthenticator } from '../../src/auth/authenticator.ts';
import { createScope } from '../../src/auth/scope.ts';
import { createSessionManager } from '../../src/auth/sessions.ts';
import type { VmRef, VmSnapshot } from '../../src/backend/port.ts';
import { parseConfig } from '../../src/config/load.ts';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { createKubeBackend, type KubeBackend } from '../../src/kube/kube-backend.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { Keys } from '../../src/sim/controllers/kubevirt-objects.ts';
import { startSimulator, type Simulator } from '../../src/sim/simulator.ts';
import type { KubeObject } from '../../src/sim/types.ts';
import type { DelaysOption } from '../../src/sim/controllers/delays.ts';
import type { StorageScenario } from '../../src/sim/storage-classes.ts';
import { systemClock } from '../../src/util/clock.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import { MemorySessionStore } from '../security/memory-session-store.ts';

export const password = 'media-test-password';

const configYaml = `
server:
  host: "127.0.0.1"
  port: 8443
system_id_convention: "enhanced"
chassis:
  - name: "lab-a"
    namespace: "lab-a"
    vm_selector:
      labels:
        redfish-enabled: "true"
  - name: "lab-b"
    namespace: "lab-b"
    vm_selector:
      labels:
        redfish-enabled: "true"
authentication:
  users:
    - username: "admin"
      password: "${password}"
      chassis: ["lab-a", "lab-b"]
    - username: "viewer-b"
      password: "${password}"
      role: "ReadOnly"
      chassis: ["lab-b"]
    - username: "admin-b"
      password: "${password}"
      chassis: ["lab-b"]
datavolume:
  storage_class: "fast"
  storage_size: "2Gi"
  # The image servers of these tests listen on loopback, which the default policy refuses.
  image_url_policy:
    allow: ["127.0.0.1"]
`;

export interface VmSeed {
  readonly runStrategy: 'Halted' | 'Always';
  /** Boots with the empty SATA CD-ROM `redfish-cd` (valid with declarative hotplug only). */
  readonly emptyDrive?: boolean;
}

/** A VM the simulator accepts, labelled for the lab chassis. */
const vmObject = (namespace: string, name: string, seed: VmSeed): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, namespace, labels: { 'redfish-enabled': 'true' } },
  spec: {
    runStrategy: seed.runStrategy,
    template: {
      spec: {
        domain: {
          devices: {
            disks: [
              { name: 'root', bootOrder: 1, disk: { bus: 'virtio' } },
              ...(seed.emptyDrive ? [{ name: 'redfish-cd', cdrom: { bus: 'sata' } }] : []),
            ],
          },
        },
        volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } }],
      },
    },
  },
});

/** Starts a simulator with namespaces lab-a and lab-b and the given VMs ("ns/name" → seed). */
export const startLabSimulator = async (options: {
  declarativeHotplug: boolean;
  vms: Readonly<Record<string, VmSeed>>;
  storage?: StorageScenario;
  delays?: DelaysOption;
}): Promise<Simulator> => {
  const sim = await startSimulator({
    scenario: false,
    delays: options.delays ?? 'instant',
    ...(options.storage ? { storage: options.storage } : {}),
    cluster: { declarativeHotplug: options.declarativeHotplug },
    onError: (error, key) => process.stderr.write(`simulator ${key}: ${String(error)}\n`),
  });
  for (const ns of ['lab-a', 'lab-b'])
    sim.store.create(Keys.namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
  for (const [key, seed] of Object.entries(options.vms)) {
    const [namespace = '', name = ''] = key.split('/');
    sim.store.create(Keys.vm, vmObject(namespace, name, seed));
  }
  return sim;
};

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface Service {
  readonly url: string;
  readonly backend: KubeBackend;
  readonly app: FastifyInstance;
  /** An HTTP request as the named user; `body` undefined sends no body and no Content-Type. */
  request(
    method: string,
    path: string,
    options?: { user?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Reply>;
  /** Resolves once the cached snapshot satisfies `predicate`. */
  waitForVm(ref: VmRef, predicate: (vm: VmSnapshot) => boolean, what: string): Promise<VmSnapshot>;
  readonly close: () => Promise<void>;
}

/** The service as main.ts composes it, against `sim`, listening on 127.0.0.1:0. */
export const startService = async (
  sim: Simulator,
  options: {
    importTimeoutMs?: number;
    attachTimeoutMs?: number;
    storageSize?: string;
    cdiDiscoveryIntervalMs?: number;
  } = {},
): Promise<Service> => {
  const { config } = parseConfig(configYaml, 'virtual-media test config');
  const logger = createLogger({ level: 'silent' });
  const metrics = createMetrics();
  const backend = createKubeBackend({
    kubeConfig: loadKubeConfig({ kind: 'yaml', yaml: sim.kubeconfig() }),
    namespaces: ['lab-a', 'lab-b'],
    logger,
    metrics,
    datavolume: {
      size: options.storageSize ?? config.datavolume.storageSize,
      storageClass: 'fast',
      ...(options.importTimeoutMs !== undefined
        ? { importTimeoutMs: options.importTimeoutMs }
        : {}),
      ...(options.attachTimeoutMs !== undefined
        ? { attachTimeoutMs: options.attachTimeoutMs }
        : {}),
    },
    imageUrlPolicy: config.datavolume.imageUrlPolicy,
    ...(options.cdiDiscoveryIntervalMs !== undefined
      ? { cdiDiscoveryIntervalMs: options.cdiDiscoveryIntervalMs }
      : {}),
  });
  await backend.start();
  await backend.waitForSync(AbortSignal.timeout(20_000));
  const sessions = createSessionManager({
    store: new MemorySessionStore(),
    clock: systemClock,
    timeoutSeconds: () => 1800,
  });
  const getConfig = () => config;
  const app = await buildApp({
    backend,
    events: backend.events,
    authenticator: createAuthenticator({
      getConfig,
      sessions,
      clock: systemClock,
      metrics,
      logger,
    }),
    scope: createScope({ getConfig, backend }),
    logger,
    metrics,
    clock: systemClock,
    service: {
      uuid: '8a3c9e0e-3f1b-4c55-9d7e-0a1b2c3d4e5f',
      product: 'test',
      firmwareVersion: '0',
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    backend,
    app,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = {
        Authorization: `Basic ${Buffer.from(`${options.user ?? 'admin'}:${password}`).toString('base64')}`,
        ...options.headers,
      };
      let body: string | undefined;
      if (options.body !== undefined) {
        headers['Content-Type'] ??= 'application/json';
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      }
      const response = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    },
    waitForVm: (ref, predicate, what) =>
      new Promise((resolve, reject) => {
        const deadline = AbortSignal.timeout(20_000);
        const poll = (): void => {
          const vm = backend.getVm(ref);
          if (vm && predicate(vm)) return resolve(vm);
          if (deadline.aborted)
            return reject(
              new Error(
                `timed out waiting for ${what}; last: ${JSON.stringify(vm && { power: vm.powerState, media: vm.media })}`,
              ),
            );
          setTimeout(poll, 5);
        };
        poll();
      }),
    async close() {
      await app.close();
      await backend.stop();
    },
  };
};

/** Polls `read` until `accept` holds (event-driven state reached), failing after 20 s. */
export const eventually = async <T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
): Promise<T> => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A simulator, the service on it and an image server, started and stopped together. */
export interface MediaRig {
  readonly sim: Simulator;
  readonly service: Service;
  readonly images: ImageServer;
  close(): Promise<void>;
}

export const startMediaRig = async (
  simulator: Parameters<typeof startLabSimulator>[0],
  service: Parameters<typeof startService>[1] = {},
): Promise<MediaRig> => {
  const sim = await startLabSimulator(simulator);
  const started = await startService(sim, service);
  const images = await startImageServer();
  return {
    sim,
    service: started,
    images,
    async close() {
      await started.close();
      await images.close();
      await sim.close();
    },
  };
};

/** eventually() for a state read synchronously (the simulator's store). */
export const eventuallyOf = <T>(read: () => T, accept: (value: T) => boolean, what: string) =>
  eventually(() => Promise.resolve(read()), accept, what);

export interface ImageServer {
  readonly base: string;
  /** Requests received, by path (with the Authorization header seen). */
  readonly requests: { path: string; authorization: string | undefined }[];
  /** Lets held downloads of `path` finish. */
  release(path: string): void;
  readonly close: () => Promise<void>;
}

/** The password `/auth/...` images want (with user name "user"). */
export const imagePassword = 'pa55-w0rd';

/** Size of every image; a held download stops after 3/8 of it (progress "37.50%"). */
export const imageSize = 8000;
const heldBytes = 3000;
/** What `/big/...` images announce: more than any claim of these tests holds. */
export const bigImageSize = 5 * 2 ** 30;

/**
 * Loopback image server. `/held/...` sends 3/8 of the image and waits for release();
 * `/missing/...` answers 404; `/auth/...` wants Basic user:imagePassword; `/big/...` announces
 * a 5 GiB image (and sends only its first bytes); anything else is served whole.
 */
export const startImageServer = async (): Promise<ImageServer> => {
  const released = new Set<string>();
  const waiting = new Map<string, (() => void)[]>();
  const requests: { path: string; authorization: string | undefined }[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.push({ path, authorization: req.headers.authorization });
    if (path.startsWith('/missing/')) {
      res.writeHead(404).end('not found');
      return;
    }
    if (
      path.startsWith('/auth/') &&
      req.headers.authorization !==
        `Basic ${Buffer.from(`user:${imagePassword}`).toString('base64')}`
    ) {
      res.writeHead(401).end();
      return;
    }
    if (path.startsWith('/big/')) {
      res.writeHead(200, { 'Content-Length': String(bigImageSize) });
      res.write(Buffer.alloc(heldBytes));
      return;
    }
    res.writeHead(200, {
      'Content-Length': String(imageSize),
      'Content-Type': 'application/octet-stream',
    });
    if (!path.startsWith('/held/') || released.has(path)) {
      res.end(Buffer.alloc(imageSize));
      return;
    }
    res.write(Buffer.alloc(heldBytes));
    const list = waiting.get(path) ?? [];
    list.push(() => res.end(Buffer.alloc(imageSize - heldBytes)));
    waiting.set(path, list);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    requests,
    release(path) {
      released.add(path);
      for (const finish of waiting.get(path) ?? []) finish();
      waiting.delete(path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const list of waiting.values()) for (const finish of list) finish();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

// --- What the virtual-media suites share --------------------------------------------------

export const sys = (vm: string): string => `/redfish/v1/Systems/lab-a.${vm}`;
export const cd = (vm: string): string => `${sys(vm)}/VirtualMedia/Cd`;
export const insert = (vm: string): string => `${cd(vm)}/Actions/VirtualMedia.InsertMedia`;
export const eject = (vm: string): string => `${cd(vm)}/Actions/VirtualMedia.EjectMedia`;

/** Checks the body against the DMTF schema its @odata.type names (throws on a violation). */
export const valid = (reply: Reply): Reply => {
  validateRedfish(reply.body);
  return reply;
};

/** The DataVolumes this service created for a VM, from the simulator's store. */
export const mediaDataVolumes = (sim: Simulator, namespace: string, vm: string): KubeObject[] => {
  const uid = sim.store.get(Keys.vm, namespace, vm)?.metadata.uid;
  return sim.store
    .list(Keys.dv, namespace)
    .items.filter((dv) => dv.metadata.labels?.['kubevirt-redfish.io/vm-uid'] === uid);
};

/** The VM template's spec (disks and volumes) of a lab-a VM as stored. */
export const vmTemplate = (sim: Simulator, vm: string) =>
  (sim.store.get(Keys.vm, 'lab-a', vm)?.spec as any).template.spec as {
    domain: { devices: { disks: any[] } };
    volumes: any[];
  };

export interface MediaSuite {
  readonly sim: Simulator;
  readonly service: Service;
  readonly images: ImageServer;
  readonly close: () => Promise<void>;
}

/** The simulator with the given VMs, the service on it and an image server. */
export const startMediaSuite = async (
  options: Parameters<typeof startLabSimulator>[0],
): Promise<MediaSuite> => {
  const sim = await startLabSimulator(options);
  const service = await startService(sim);
  const images = await startImageServer();
  return {
    sim,
    service,
    images,
    close: async () => {
      await service.close();
      await images.close();
      await sim.close();
    },
  };
};
