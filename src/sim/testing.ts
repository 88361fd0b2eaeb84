// Test fixtures for the simulator's store and API server: a minimal valid VM and an HTTP
// client that reads Status bodies and watch streams line by line.
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { ManualClock } from '../util/clock.ts';
import type { ApiServer } from './api-server/server.ts';
import { startApiServer } from './api-server/server.ts';
import type { Faults } from './faults.ts';
import { createFaults } from './faults.ts';
import { createStore } from './store.ts';
import type { KubeObject, ObjectStore, SubresourceRegistry } from './types.ts';

/** The smallest VM KubeVirt's webhook accepts: runStrategy plus one disk backed by a volume. */
export const minimalVm = (
  name: string,
  namespace: string,
  labels?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  spec: {
    runStrategy: 'Halted',
    template: {
      spec: {
        domain: { devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
        volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } }],
      },
    },
  },
});

export const namespace = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
});

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON (undefined when empty or not JSON). */
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface WatchStream {
  /** The next event, waiting for it; undefined once the stream has ended. */
  next(): Promise<{ type: string; object: any } | undefined>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly status: number;
  readonly ended: Promise<void>;
  close(): void;
}

export interface TestApi {
  readonly clock: ManualClock;
  readonly store: ObjectStore;
  readonly faults: Faults;
  readonly server: ApiServer;
  readonly subresources: SubresourceRegistry;
  request(
    method: string,
    path: string,
    options?: { body?: string | Buffer; headers?: Record<string, string>; auth?: boolean },
  ): Promise<HttpResult>;
  watch(path: string, headers?: Record<string, string>): Promise<WatchStream>;
}

/** A plain-HTTP API server over a fresh store on a manual clock, with namespace `demo`. */
export const startTestApi = async (options: { watchWindow?: number } = {}): Promise<TestApi> => {
  const clock = new ManualClock();
  let seed = 1;
  // A fixed sequence keeps uids and names repeatable without a dependency on seededRandom's use.
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const store = createStore({
    clock,
    random,
    ...(options.watchWindow ? { watchWindow: options.watchWindow } : {}),
  });
  store.create('namespaces', namespace('demo'));
  const faults = createFaults({ clock });
  const subresources: SubresourceRegistry = new Map();
  const server = await startApiServer({ store, subresources, faults, clock, tls: false });
  const url = new URL(server.url);
  const open = (
    method: string,
    path: string,
    body: string | Buffer | undefined,
    headers: Record<string, string>,
    auth: boolean,
  ) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: {
            ...(auth ? { authorization: `Bearer ${server.token}` } : {}),
            ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
            ...headers,
          },
        },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    clock,
    store,
    faults,
    server,
    subresources,
    async request(method, path, opts = {}) {
      const res = await open(method, path, opts.body, opts.headers ?? {}, opts.auth ?? true);
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode ?? 0, headers: res.headers, text, json };
    },
    async watch(path, headers = {}) {
      const res = await open('GET', path, undefined, headers, true);
      const lines = createInterface({ input: res });
      const queue: string[] = [];
      const waiters: ((line: string | undefined) => void)[] = [];
      let done = false;
      const ended = new Promise<void>((resolve) => {
        lines.on('close', () => {
          done = true;
          for (const w of waiters.splice(0)) w(undefined);
          resolve();
        });
      });
      lines.on('line', (line) => {
        const waiter = waiters.shift();
        if (waiter) waiter(line);
        else queue.push(line);
      });
      return {
        status: res.statusCode ?? 0,
        ended,
        close: () => res.destroy(),
        next: async () => {
          const line =
            queue.shift() ??
            (done ? undefined : await new Promise<string | undefined>((r) => waiters.push(r)));
          return line === undefined
            ? undefined
            : (JSON.parse(line) as { type: string; object: unknown });
        },
      };
    },
  };
};
