// The whole service as a test sees it: the real composition root (src/cli/serve.ts) on the
// embedded simulator, listening on an ephemeral loopback port, with a config of known users.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type RunningService, type ServeOptions } from '../../src/cli/serve.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import type { SimulatorOptions } from '../../src/sim/simulator.ts';
import type { Clock } from '../../src/util/clock.ts';
import { serviceConfigYaml } from './config-yaml.ts';
import { validateRedfish } from './redfish-schema.ts';

/** The users of the default test config and their passwords. */
export const users = {
  admin: 'admin-password',
  'operator-a': 'operator-password',
  'viewer-b': 'viewer-password',
} as const;
export type TestUser = keyof typeof users;

/** The tests' configuration: the users above on both chassis (operator-a and viewer-b on one
 *  each), images from loopback servers only; `extra` is appended. */
export const defaultConfigYaml = (extra = ''): string =>
  serviceConfigYaml({
    users: [
      { username: 'admin', password: users.admin, chassis: ['demo-a', 'demo-b'] },
      {
        username: 'operator-a',
        password: users['operator-a'],
        role: 'Operator',
        chassis: ['demo-a'],
      },
      {
        username: 'viewer-b',
        password: users['viewer-b'],
        role: 'ReadOnly',
        chassis: ['demo-b'],
      },
    ],
    imageHosts: ['127.0.0.1'],
    extra,
  });

export interface RequestOptions {
  readonly method?: string;
  /** Basic-auth user from `users`; omit for an unauthenticated request. */
  readonly user?: TestUser;
  readonly token?: string;
  readonly body?: unknown;
  /** A raw body sent as is (for malformed JSON and content-type tests). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  readonly body: any;
}

export interface TestService {
  readonly url: string;
  readonly service: RunningService;
  readonly configPath: string;
  request(path: string, options?: RequestOptions): Promise<Reply>;
  /** GET that must answer 200 with a body valid against its DMTF schema; returns the body. */
  getValid(path: string, user?: TestUser): Promise<any>;
  /** Polls `check` (every 20 ms, up to `timeoutMs`) until it returns true. */
  waitFor(check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const startService = async (
  options: {
    configYaml?: string;
    vms?: number;
    simulator?: Omit<SimulatorOptions, 'vms'>;
    clock?: Clock;
    background?: ServeOptions['background'];
    /** Where the service logs; default silent. */
    logger?: Logger;
  } = {},
): Promise<TestService> => {
  const dir = await mkdtemp(join(tmpdir(), 'kvrf-test-'));
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, options.configYaml ?? defaultConfigYaml());
  const service = await serve({
    configPath,
    simulate: true,
    port: 0,
    host: '127.0.0.1',
    ...(options.vms !== undefined ? { vms: options.vms } : {}),
    logger: options.logger ?? createLogger({ level: 'silent' }),
    simulatorOptions: { delays: 'instant', ...options.simulator },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.background ? { background: options.background } : {}),
  });
  await service.backend.waitForSync(AbortSignal.timeout(20_000));
  const url = service.url;

  const request = async (path: string, req: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.user)
      headers.authorization = `Basic ${Buffer.from(`${req.user}:${users[req.user]}`).toString('base64')}`;
    if (req.token) headers['x-auth-token'] = req.token;
    let body: string | undefined = req.rawBody;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${url}${path}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  };

  const waitFor = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  return {
    url,
    service,
    configPath,
    request,
    getValid: async (path, user = 'admin') => {
      const reply = await request(path, { user });
      if (reply.status !== 200)
        throw new Error(`GET ${path} answered ${reply.status}: ${reply.text.slice(0, 500)}`);
      validateRedfish(reply.body);
      return reply.body;
    },
    waitFor,
    close: async () => {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
