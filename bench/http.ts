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
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { Report, fmt, machine } from './lib/measure.ts';
import { procUsage, usageSince, type ProcUsage } from './lib/proc-stat.ts';
import {
  CLIENT_CPU,
  CONNECTIONS,
  SECONDS,
  SERVER_CPU,
  basic,
  fetchOnce,
  hashedPassword,
  password,
  root,
  runWrk,
  start,
  startServiceProc,
  startSim,
  systemPath,
  useDist,
  type Proc,
  type Service,
  type WrkResult,
} from './lib/processes.ts';

const argv = process.argv.slice(2);
const onlyCases = argv.flatMap((a, i) => (argv[i - 1] === '--case' ? [a] : []));
const wanted = (name: string): boolean =>
  onlyCases.length === 0 || onlyCases.some((c) => name.includes(c));
if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed (Debian: apt-get install -y wrk)');
  process.exit(2);
}
if (cpus().length < 2) console.warn('fewer than 2 CPUs: the service and wrk share one');

const report = new Report(`http — wrk -c${CONNECTIONS}, ${SECONDS} s per run (${machine()})`);

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
  const inKernel = (run: LoadRun) => (run.usage.systemMs * 1000) / run.requests;
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
    value: `${fmt.us(perRequest(ours))} (${fmt.us(inKernel(ours))} kernel), ${writes(ours).toFixed(2)} writes/response`,
    baseline: `${fmt.us(perRequest(base))} (${fmt.us(inKernel(base))} kernel), ${writes(base).toFixed(2)} writes/response`,
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
    `${cpus().length} CPUs; service and baselines on CPU ${SERVER_CPU}, wrk and simulator on CPU ${CLIENT_CPU}; ${useDist ? 'dist/main.js' : 'src/ under tsx'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
};

await main();
