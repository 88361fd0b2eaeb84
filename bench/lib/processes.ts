// The processes of bench/http.ts and bench/scale.ts: the simulator and the service each in its
// own Node process pinned to a CPU (`taskset`), wrk and the HEAD client as load generators, and
// the config the service runs with. Options read from the command line: --dist runs the built
// service (dist/main.js) instead of src/ under tsx; --seconds N sets each load run's length.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../../src/auth/passwords.ts';
import { serviceConfigYaml } from '../../test/helpers/config-yaml.ts';
import { performance } from 'node:perf_hooks';
import { sleep } from './measure.ts';
import { procUsage } from './proc-stat.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const argv = process.argv.slice(2);
export const useDist = argv.includes('--dist');
const secondsArg = argv[argv.indexOf('--seconds') + 1];
export const SECONDS = argv.includes('--seconds') && secondsArg ? Number(secondsArg) : 5;
export const CONNECTIONS = 50;
/** CPU of the service and of each baseline; wrk and the simulator get the other one. */
export const SERVER_CPU = '1';
export const CLIENT_CPU = '0';

export const password = 'bench-password';
export const hashedPassword = 'bench-hashed-password';

/** The V8 flags the image runs the service with: read from deploy/Containerfile's ENTRYPOINT
 *  (the one place they are set), so --dist measures the service as deployed. */
const imageNodeFlags = (): string[] => {
  const containerfile = readFileSync(join(root, 'deploy/Containerfile'), 'utf8');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(containerfile)?.[1];
  if (entrypoint === undefined) throw new Error('deploy/Containerfile has no ENTRYPOINT');
  const argv = JSON.parse(entrypoint) as string[];
  return argv.slice(1, argv.indexOf('dist/main.js'));
};

const nodeArgs = (script: string, args: readonly string[]): string[] => {
  if (!useDist || script !== 'src/main.ts') return ['--import', 'tsx', join(root, script), ...args];
  // The simulator stands in for the cluster, not the product: it keeps Node's defaults.
  const flags = args[0] === 'serve' ? imageNodeFlags() : [];
  return [...flags, join(root, 'dist/main.js'), ...args];
};

export interface Proc {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  rssBytes(): number;
  stop(): Promise<void>;
}

export const start = (cpu: string, script: string, args: readonly string[], env = {}): Proc => {
  const child = spawn('taskset', ['-c', cpu, process.execPath, ...nodeArgs(script, args)], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const listeners: (() => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const listener of listeners) listener();
  });
  return {
    child,
    line: (pattern, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${script}: no ${pattern} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            clearTimeout(timer);
            resolve(match);
          }
        };
        child.once('exit', (code) => reject(new Error(`${script} exited (${code}) early`)));
        listeners.push(check);
        check();
      }),
    rssBytes: () => {
      // taskset execs node, so the child's pid is node's.
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

export interface Recorded {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers a bare server sets by itself (or that describe the connection, not the response). */
const ownHeaders = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export const fetchOnce = (
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Recorded> =>
  new Promise((resolve, reject) => {
    const requester = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = requester(url, { method, headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const kept: Record<string, string> = {};
        const raw: IncomingHttpHeaders = res.headers;
        for (const [name, value] of Object.entries(raw))
          if (!ownHeaders.has(name) && value !== undefined)
            kept[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: res.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });

export interface WrkResult {
  readonly rps: number;
  /** Responses completed in the run. */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: string | undefined;
}

const toMs = (value: string, unit: string): number =>
  Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);

/** HEAD through bench/lib/head-load.ts on wrk's CPU (wrk itself hangs on HEAD responses). */
const headLoad = (url: string, headers: Record<string, string>): WrkResult => {
  const script = join(root, 'bench/lib/head-load.ts');
  const args = ['-c', CLIENT_CPU, process.execPath, '--import', 'tsx', script];
  args.push(url, String(SECONDS), String(CONNECTIONS), ...Object.entries(headers).flat());
  const result = spawnSync('taskset', args, {
    cwd: root,
    encoding: 'utf8',
    timeout: (SECONDS + 30) * 1000,
  });
  if (result.status !== 0) throw new Error(`HEAD load failed: ${result.stderr}`);
  return { ...(JSON.parse(result.stdout) as Omit<WrkResult, 'errors'>), errors: undefined };
};

export const runWrk = async (
  url: string,
  method: string,
  headers: Record<string, string>,
  dir: string,
  seconds = SECONDS,
): Promise<WrkResult> => {
  if (method === 'HEAD') return headLoad(url, headers);
  const script = join(dir, `${method}.lua`);
  await writeFile(script, `wrk.method = "${method}"\n`);
  const args = ['-c', CLIENT_CPU, 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`];
  args.push('--latency', '-s', script);
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const result = spawnSync('taskset', args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const out = result.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const latency = (p: string): number => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m?.[1] && m[2] ? toMs(m[1], m[2]) : Number.NaN;
  };
  const errors = [/Non-2xx or 3xx responses: \d+/, /Socket errors:[^\n]+/]
    .map((re) => re.exec(out)?.[0])
    .filter((e) => e !== undefined)
    .join('; ');
  if (!Number.isFinite(rps)) throw new Error(`wrk failed: ${result.stderr || out}`);
  return {
    rps,
    requests,
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    errors: errors || undefined,
  };
};

export interface Service {
  /** When /readyz first answered 200: wall time since the process was spawned, and the CPU
   *  time the process had used by then. */
  readonly ready: { readonly ms: number; readonly cpuMs: number };
  readonly url: string;
  readonly proc: Proc;
}

export const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const configYaml = async (dir: string, tls: { cert: string; key: string } | undefined) =>
  serviceConfigYaml({
    users: [
      { username: 'admin', password, chassis: ['demo-a', 'demo-b'] },
      {
        username: 'hashed',
        passwordHash: await hashPassword(hashedPassword, 10),
        chassis: ['demo-a', 'demo-b'],
      },
    ],
    ...(tls ? { tls } : {}),
    // The separate `simulate` process has only the demo namespaces.
    sessionsNamespace: 'demo-a',
  }).replace(/^\n/, `# bench/http.ts, in ${dir}\n`);

export const startSim = async (
  dir: string,
  vms: number,
): Promise<{ proc: Proc; kubeconfig: string }> => {
  const kubeconfig = join(dir, `kubeconfig-${vms}`);
  const proc = start(CLIENT_CPU, 'src/main.ts', [
    'simulate',
    '--vms',
    String(vms),
    '--write-kubeconfig',
    kubeconfig,
  ]);
  await proc.line(/kubeconfig written/);
  return { proc, kubeconfig };
};

export const startServiceProc = async (
  dir: string,
  kubeconfig: string,
  tls?: { cert: string; key: string },
): Promise<Service> => {
  const configPath = join(dir, tls ? 'config-tls.yaml' : 'config.yaml');
  await writeFile(configPath, await configYaml(dir, tls));
  const started = performance.now();
  const proc = start(
    SERVER_CPU,
    'src/main.ts',
    ['serve', '--config', configPath, '--kubeconfig', kubeconfig, '--port', '0'],
    { LOG_LEVEL: 'info' },
  );
  const match = await proc.line(/"url":"(https?:\/\/[^"]+)"[^\n]*Redfish service listening/);
  const url = match[1] ?? '';
  // Polled often: bench/scale.ts reports how long start-up took to this answer.
  for (let i = 0; i < 6000; i++) {
    const ready = await fetchOnce(`${url}/readyz`, 'GET', {}).catch(() => undefined);
    if (ready?.status === 200) {
      const ms = performance.now() - started;
      return { url, proc, ready: { ms, cpuMs: procUsage(proc.child.pid ?? 0).cpuMs } };
    }
    await sleep(10);
  }
  throw new Error('service not ready within 60 s');
};

export const systemPath = async (service: Service): Promise<string> => {
  const collection = await fetchOnce(`${service.url}/redfish/v1/Systems`, 'GET', {
    authorization: basic('admin', password),
  });
  const members = (JSON.parse(collection.body.toString()) as { Members: { '@odata.id': string }[] })
    .Members;
  const member = members[Math.floor(members.length / 2)];
  if (!member) throw new Error('no systems');
  return member['@odata.id'];
};
