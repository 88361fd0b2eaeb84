// HTTP throughput of the service against a bare node:http server (issue 12): wrk drives GET and
// HEAD of one System (Basic with a plain and a bcrypt-hashed password, X-Auth-Token), the Systems
// collection at 100 and 2,000 VMs, and HTTPS. The service runs in its own process pinned to CPU 1
// (`taskset -c 1`), the simulator in another; wrk runs on CPU 0. Each case's baseline is a bare
// server on the same CPU answering the very bytes the service answered, measured right after it,
// so the ratio holds while absolute numbers drift with the machine's load.
// Options (after `npm run bench -- http`): --dist runs the built service (dist/main.js) instead
// of src/ under tsx; --seconds N sets each wrk run's length (default 5); --case TEXT runs only
// the cases whose name contains TEXT (repeatable).
// Each case also prints the CPU time per request of the service and of the bare server (utime +
// stime from /proc around the run ÷ responses) and write calls per response: on a busy machine
// these hold where req/s does not.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { hashPassword } from '../src/auth/passwords.ts';
import { Report, fmt, machine, sleep } from './lib/measure.ts';
import { procUsage, usageSince, type ProcUsage } from './lib/proc-stat.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const useDist = argv.includes('--dist');
const secondsArg = argv[argv.indexOf('--seconds') + 1];
const SECONDS = argv.includes('--seconds') && secondsArg ? Number(secondsArg) : 5;
const CONNECTIONS = 50;
const onlyCases = argv.flatMap((a, i) => (argv[i - 1] === '--case' ? [a] : []));
const wanted = (name: string): boolean =>
  onlyCases.length === 0 || onlyCases.some((c) => name.includes(c));
/** CPU of the service and of each baseline; wrk and the simulator get the other one. */
const SERVER_CPU = '1';
const CLIENT_CPU = '0';

const password = 'bench-password';
const hashedPassword = 'bench-hashed-password';

if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed (Debian: apt-get install -y wrk)');
  process.exit(2);
}
if (cpus().length < 2) console.warn('fewer than 2 CPUs: the service and wrk share one');

const report = new Report(`http — wrk -c${CONNECTIONS}, ${SECONDS} s per run (${machine()})`);

const nodeArgs = (script: string, args: readonly string[]): string[] =>
  useDist && script === 'src/main.ts'
    ? [join(root, 'dist/main.js'), ...args]
    : ['--import', 'tsx', join(root, script), ...args];

interface Proc {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  rssBytes(): number;
  stop(): Promise<void>;
}

const start = (cpu: string, script: string, args: readonly string[], env = {}): Proc => {
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

interface Recorded {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers a bare server sets by itself (or that describe the connection, not the response). */
const ownHeaders = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

const fetchOnce = (
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

interface WrkResult {
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

const runWrk = async (
  url: string,
  method: string,
  headers: Record<string, string>,
  dir: string,
): Promise<WrkResult> => {
  if (method === 'HEAD') return headLoad(url, headers);
  const script = join(dir, `${method}.lua`);
  await writeFile(script, `wrk.method = "${method}"\n`);
  const args = ['-c', CLIENT_CPU, 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`];
  args.push('--latency', '-s', script);
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const result = spawnSync('taskset', args, { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
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

interface Service {
  readonly url: string;
  readonly proc: Proc;
}

const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const configYaml = async (dir: string, tls: { cert: string; key: string } | undefined) => {
  const hash = await hashPassword(hashedPassword, 10);
  return `
server:
  host: "127.0.0.1"
  port: 8443
  tls:
    enabled: ${tls ? 'true' : 'false'}
${tls ? `    cert_file: "${tls.cert}"\n    key_file: "${tls.key}"\n` : ''}system_id_convention: "enhanced"
chassis:
  - name: "demo-a"
    namespace: "demo-a"
    vm_selector:
      labels:
        redfish-enabled: "true"
  - name: "demo-b"
    namespace: "demo-b"
    vm_selector:
      labels:
        redfish-enabled: "true"
authentication:
  users:
    - username: "admin"
      password: "${password}"
      chassis: ["demo-a", "demo-b"]
    - username: "hashed"
      password_hash: "${hash}"
      chassis: ["demo-a", "demo-b"]
sessions:
  namespace: "demo-a"
datavolume:
  storage_size: "3Gi"
`.replace(/^\n/, `# bench/http.ts, in ${dir}\n`);
};

const startSim = async (dir: string, vms: number): Promise<{ proc: Proc; kubeconfig: string }> => {
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

const startServiceProc = async (
  dir: string,
  kubeconfig: string,
  tls?: { cert: string; key: string },
): Promise<Service> => {
  const configPath = join(dir, tls ? 'config-tls.yaml' : 'config.yaml');
  await writeFile(configPath, await configYaml(dir, tls));
  const proc = start(
    SERVER_CPU,
    'src/main.ts',
    ['serve', '--config', configPath, '--kubeconfig', kubeconfig, '--port', '0'],
    { LOG_LEVEL: 'info' },
  );
  const match = await proc.line(/"url":"(https?:\/\/[^"]+)"[^\n]*Redfish service listening/);
  const url = match[1] ?? '';
  for (let i = 0; i < 600; i++) {
    const ready = await fetchOnce(`${url}/readyz`, 'GET', {}).catch(() => undefined);
    if (ready?.status === 200) return { url, proc };
    await sleep(100);
  }
  throw new Error('service not ready within 60 s');
};

/** Runs wrk against the service, then against a bare server serving the recorded bytes. */
const measure = async (
  name: string,
  service: Service,
  path: string,
  method: 'GET' | 'HEAD',
  headers: Record<string, string>,
  dir: string,
  tls?: { cert: string; key: string },
): Promise<void> => {
  if (!wanted(name)) return;
  const recorded = await fetchOnce(service.url + path, method, headers);
  if (recorded.status !== 200)
    throw new Error(`${name}: ${method} ${path} answered ${recorded.status}`);
  const file = join(dir, 'recorded.json');
  await writeFile(file, JSON.stringify({ ...recorded, body: recorded.body.toString('base64') }));
  // Warm-up: JIT, caches, the bcrypt verification.
  await runWrk(service.url + path, method, headers, dir).catch(() => undefined);
  const ours = await loadRun(service.proc, service.url + path, method, headers, dir);
  const rss = service.proc.rssBytes();
  const bare = start(SERVER_CPU, 'bench/lib/bare-server.ts', [
    file,
    ...(tls ? [tls.cert, tls.key] : []),
  ]);
  const port = (await bare.line(/listening (\d+)/))[1] ?? '';
  const bareUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`;
  await runWrk(bareUrl, method, headers, dir);
  const base = await loadRun(bare, bareUrl, method, headers, dir);
  await bare.stop();
  const perRequest = (run: LoadRun) => (run.usage.cpuMs * 1000) / run.requests;
  const writes = (run: LoadRun) => run.usage.writeCalls / run.requests;
  report.add({
    metric: name,
    value: `${fmt.rate(ours.rps, 'req')} p50 ${fmt.ms(ours.p50Ms)} p99 ${fmt.ms(ours.p99Ms)}, RSS ${fmt.bytes(rss)}${ours.errors ? ` (${ours.errors})` : ''}`,
    baseline: `${fmt.rate(base.rps, 'req')} p99 ${fmt.ms(base.p99Ms)}`,
    ratio: ours.rps / base.rps,
    note: `req/s ratio; ${recorded.body.length} B body`,
  });
  // On one pinned core an idle machine's req/s ratio is the inverse of this ratio; a busy
  // machine skews req/s (the share of CPU 1 each server got) but not the CPU each request took.
  report.add({
    metric: `— CPU per request`,
    value: `${fmt.us(perRequest(ours))}, ${writes(ours).toFixed(2)} writes/response`,
    baseline: `${fmt.us(perRequest(base))}, ${writes(base).toFixed(2)} writes/response`,
    ratio: perRequest(base) / perRequest(ours),
    note: 'bare CPU ÷ ours (≥ 0.7 is the goal)',
  });
};

interface LoadRun extends WrkResult {
  /** CPU time and write calls of the server process during the run. */
  readonly usage: ProcUsage;
}

/** A load run with the server process's CPU time and write calls read around it. */
const loadRun = async (
  proc: Proc,
  url: string,
  method: string,
  headers: Record<string, string>,
  dir: string,
): Promise<LoadRun> => {
  const pid = proc.child.pid ?? 0;
  const before = procUsage(pid);
  const result = await runWrk(url, method, headers, dir);
  return { ...result, usage: usageSince(before, procUsage(pid)) };
};

const systemPath = async (service: Service): Promise<string> => {
  const collection = await fetchOnce(`${service.url}/redfish/v1/Systems`, 'GET', {
    authorization: basic('admin', password),
  });
  const members = (JSON.parse(collection.body.toString()) as { Members: { '@odata.id': string }[] })
    .Members;
  const member = members[Math.floor(members.length / 2)];
  if (!member) throw new Error('no systems');
  return member['@odata.id'];
};

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kvrf-bench-http-'));
  const procs: Proc[] = [];
  try {
    if (useDist && !existsSync(join(root, 'dist/main.js')))
      throw new Error('--dist: run `npm run build` first');
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const tls = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
    await writeFile(tls.cert, pems.cert);
    await writeFile(tls.key, pems.private, { mode: 0o600 });

    const small = await startSim(dir, 100);
    procs.push(small.proc);
    let service = await startServiceProc(dir, small.kubeconfig);
    procs.push(service.proc);
    const system = await systemPath(service);
    const admin = { authorization: basic('admin', password) };
    await measure('GET System, Basic (plain password)', service, system, 'GET', admin, dir);
    const hashed = { authorization: basic('hashed', hashedPassword) };
    await measure('GET System, Basic (bcrypt hash)', service, system, 'GET', hashed, dir);
    const login = await fetchOnce(
      `${service.url}/redfish/v1/SessionService/Sessions`,
      'POST',
      { 'content-type': 'application/json' },
      JSON.stringify({ UserName: 'admin', Password: password }),
    );
    const token = login.headers['x-auth-token'];
    if (login.status !== 201 || !token) throw new Error(`login answered ${login.status}`);
    await measure(
      'GET System, X-Auth-Token',
      service,
      system,
      'GET',
      { 'x-auth-token': token },
      dir,
    );
    await measure('HEAD System, Basic', service, system, 'HEAD', admin, dir);
    await measure('GET Systems (100 VMs)', service, '/redfish/v1/Systems', 'GET', admin, dir);
    await service.proc.stop();

    const overTls = 'GET System over HTTPS, Basic';
    if (wanted(overTls)) {
      service = await startServiceProc(dir, small.kubeconfig, tls);
      procs.push(service.proc);
      await measure(overTls, service, system, 'GET', admin, dir, tls);
      await service.proc.stop();
    }
    await small.proc.stop();

    const largeCollection = 'GET Systems (2,000 VMs)';
    if (wanted(largeCollection)) {
      const large = await startSim(dir, 2_000);
      procs.push(large.proc);
      service = await startServiceProc(dir, large.kubeconfig);
      procs.push(service.proc);
      await measure(largeCollection, service, '/redfish/v1/Systems', 'GET', admin, dir);
    }
  } finally {
    for (const proc of procs) await proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
  report.print();
  console.log(
    `${cpus().length} CPUs; service and baselines on CPU ${SERVER_CPU}, wrk and simulator on CPU ${CLIENT_CPU}; ${useDist ? 'dist/main.js' : 'src/ under tsx'}; load average ${(
      await import('node:os')
    )
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
};

await main();
