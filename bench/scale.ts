// The service at scale (issue 12 item 3): a simulator with 10,000 VMs in its own process on CPU 0,
// then the service on CPU 1, timed from spawn until /readyz answers 200 — wall time and, the
// figure that holds on a busy machine, the CPU time the process used by then — with its RSS when
// ready and once settled, and the Systems collection's answer time. With --soak SECONDS, wrk
// (-c50) reads one System for that long in 15 s runs, and RSS is sampled after each: the goal is
// flat within ±5 %. Goals: ready < 3 s, RSS < 250 MB. Timings never fail the run.
// Options (after `npm run bench -- scale`): --dist (the built service: `npm run build` first;
// the goals are about the built artifact), --vms N (default 10,000), --soak SECONDS.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Report, fmt, machine, median, sleep } from './lib/measure.ts';
import {
  basic,
  fetchOnce,
  password,
  root,
  runWrk,
  startServiceProc,
  startSim,
  systemPath,
  useDist,
  type Proc,
} from './lib/processes.ts';

const argv = process.argv.slice(2);
const option = (name: string): number | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : undefined;
};
const VMS = option('--vms') ?? 10_000;
const SOAK_SECONDS = option('--soak') ?? 0;
const SAMPLE_SECONDS = 15;
const MiB = 1024 * 1024;

const report = new Report(`scale — ${VMS.toLocaleString('en-US')} VMs (${machine()})`);

const main = async () => {
  if (useDist && !existsSync(join(root, 'dist/main.js')))
    throw new Error('--dist: run `npm run build` first');
  if (!useDist) console.warn('not --dist: the service runs under tsx (the goals are for dist/)');
  const dir = await mkdtemp(join(tmpdir(), 'kvrf-bench-scale-'));
  const procs: Proc[] = [];
  try {
    const simStarted = performance.now();
    const sim = await startSim(dir, VMS);
    procs.push(sim.proc);
    report.add({
      metric: 'simulator API answering',
      value: fmt.ms(performance.now() - simStarted),
      note: 'the service starts after this',
    });
    const service = await startServiceProc(dir, sim.kubeconfig);
    procs.push(service.proc);
    const readyRss = service.proc.rssBytes();
    report.add({
      metric: 'service ready (/readyz 200)',
      value: `${fmt.ms(service.ready.cpuMs)} CPU, ${fmt.ms(service.ready.ms)} wall`,
      note: 'goal < 3 s; CPU holds under load, wall does not',
    });
    report.add({ metric: 'RSS when ready', value: fmt.bytes(readyRss), note: 'goal < 250 MB' });
    await sleep(5_000);
    report.add({ metric: 'RSS 5 s later', value: fmt.bytes(service.proc.rssBytes()) });
    // What the RSS holds, from the service's own process metrics.
    const metricsUrl = (await service.proc.line(/"url":"(http:\/\/[^"]+)\/metrics"/))[1] ?? '';
    const metrics = (await fetchOnce(`${metricsUrl}/metrics`, 'GET', {})).body.toString();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1]);
    report.add({
      metric: '— V8 heap used / total, external',
      value: `${fmt.bytes(gauge('nodejs_heap_size_used_bytes'))} / ${fmt.bytes(gauge('nodejs_heap_size_total_bytes'))}, ${fmt.bytes(gauge('nodejs_external_memory_bytes'))}`,
    });

    const admin = { authorization: basic('admin', password) };
    const collection = `${service.url}/redfish/v1/Systems`;
    const times: number[] = [];
    let members = 0;
    for (let i = 0; i < 6; i++) {
      const begun = performance.now();
      const answer = await fetchOnce(collection, 'GET', admin);
      if (i > 0) times.push(performance.now() - begun);
      members = (JSON.parse(answer.body.toString()) as { Members: unknown[] }).Members.length;
    }
    report.add({
      metric: `GET Systems (${members.toLocaleString('en-US')} members)`,
      value: `median ${fmt.ms(median(times))} of 5`,
    });

    if (SOAK_SECONDS > 0) {
      const system = service.url + (await systemPath(service));
      const samples: number[] = [];
      const rates: number[] = [];
      const p99s: number[] = [];
      for (let t = 0; t < SOAK_SECONDS; t += SAMPLE_SECONDS) {
        const run = await runWrk(system, 'GET', admin, dir, SAMPLE_SECONDS);
        samples.push(service.proc.rssBytes());
        rates.push(run.rps);
        p99s.push(run.p99Ms);
      }
      // The first sample includes the heap's growth to its working size under load.
      const steady = samples.length > 1 ? samples.slice(1) : samples;
      const low = Math.min(...steady);
      const high = Math.max(...steady);
      const mid = (low + high) / 2;
      report.add({
        metric: `RSS during a ${SOAK_SECONDS} s wrk soak (every ${SAMPLE_SECONDS} s)`,
        value: samples.map((b) => (b / MiB).toFixed(0)).join(' '),
        note: 'MiB',
      });
      report.add({
        metric: '— spread after the first sample',
        value: `${fmt.bytes(low)}–${fmt.bytes(high)}, ±${((100 * (high - mid)) / mid).toFixed(1)} %`,
        note: 'goal ±5 %',
      });
      report.add({
        metric: '— throughput',
        value: `median ${fmt.rate(median(rates), 'req')}, p99 median ${fmt.ms(median(p99s))}`,
      });
    }
  } finally {
    for (const proc of procs) await proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
  report.print();
  console.log(
    `simulator on CPU 0, service on CPU 1; ${useDist ? 'dist/main.js' : 'src/ under tsx'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
};

await main();
