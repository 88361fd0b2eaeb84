// Scale of the embedded Kubernetes API simulator (issue 2, "Scale"): seeding 10,000 VMs, holding
// them, serving full VM lists over HTTPS, and fanning a burst of changes out to 100 concurrent
// watches. Every number is printed beside a baseline measured in this same run.
import { Keys } from '../src/sim/controllers/kubevirt-objects.ts';
import { seedScenario } from '../src/sim/scenarios.ts';
import { startSimulator, type Simulator } from '../src/sim/simulator.ts';
import { createStore } from '../src/sim/store.ts';
import type { ObjectStore } from '../src/sim/types.ts';
import { ManualClock, seededRandom } from '../src/util/clock.ts';
import { createClient, type Client } from './lib/client.ts';
import {
  Report,
  collectGarbage,
  fmt,
  machine,
  median,
  medianMs,
  percentile,
  repeat,
  sleep,
  timed,
} from './lib/measure.ts';
import { startTsWorker } from './lib/ts-worker.ts';
import type { FromWorker, ToWorker } from './lib/watch-worker.ts';

const VMS = 10_000;
const BASE_VMS = 1_000;
const LIST_RUNS = 5;
const WATCHERS = 100;
const BURST = 200;
const WATCH_ROUNDS = 3;
/** No bench step may hang: a watch burst that is not fully delivered by then fails the run. */
const DELIVERY_TIMEOUT_MS = 60_000;

const report = new Report(`sim-scale — ${fmt.count(VMS)} VMs (${machine()})`);
const perVm = (ms: number, vms: number) => ms / vms;

/** Seeding alone: the store, validation and scenario code, without controllers or HTTP. */
const seedStore = (vms: number): ObjectStore => {
  const store = createStore({
    clock: new ManualClock(Date.UTC(2025, 0, 1)),
    random: seededRandom(1),
  });
  seedScenario(store, { vms, seed: 1 });
  return store;
};

const benchSeed = async (): Promise<void> => {
  seedStore(50); // compiles the CRD schemas and warms the JIT, for both sizes alike
  collectGarbage();
  const base = await timed(() => seedStore(BASE_VMS));
  collectGarbage();
  const big = await timed(() => seedStore(VMS));
  report.add({
    metric: `seed ${fmt.count(VMS)} VMs (store only)`,
    value: `${fmt.ms(big.ms)} (${fmt.ms(big.cpuMs)} CPU)`,
    baseline: `${fmt.count(BASE_VMS)} VMs: ${fmt.ms(base.ms)}`,
    ratio: perVm(big.ms, VMS) / perVm(base.ms, BASE_VMS),
    note: `per-VM cost at ${fmt.count(VMS)} ÷ at ${fmt.count(BASE_VMS)}; ≈1 = linear`,
  });
};

/** Resolves once the controllers have stopped writing (the resourceVersion holds still). */
const settle = async (sim: Simulator): Promise<void> => {
  const deadline = Date.now() + 120_000;
  let last = '';
  let stable = 0;
  while (stable < 3) {
    if (Date.now() > deadline) throw new Error('simulator did not settle within 120 s');
    const rv = sim.store.currentResourceVersion();
    stable = rv === last ? stable + 1 : 0;
    last = rv;
    await sleep(50);
  }
};

const startSettled = async (vms: number) => {
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = await timed(async () => {
    const sim = await startSimulator({ vms, delays: 'instant', tls: true });
    await settle(sim);
    return sim;
  });
  collectGarbage();
  return { ...started, heapBytes: process.memoryUsage().heapUsed - heapBefore };
};

const clientFor = (sim: Simulator): Client =>
  createClient({
    baseUrl: sim.url,
    headers: { authorization: `Bearer ${sim.token}`, accept: 'application/json' },
    ...(sim.caPem ? { caPem: sim.caPem } : {}),
  });

interface ListCase {
  readonly label: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
}

const listPath = (c: ListCase): string => {
  const base = c.namespace
    ? `/apis/kubevirt.io/v1/namespaces/${c.namespace}/virtualmachines`
    : '/apis/kubevirt.io/v1/virtualmachines';
  return c.labelSelector ? `${base}?labelSelector=${encodeURIComponent(c.labelSelector)}` : base;
};

/** The same objects the list serves, serialised in-process: what no server can do without. */
const serialiseInProcess = (sim: Simulator, c: ListCase) => {
  const [key, value] = (c.labelSelector ?? '=').split('=');
  const items = sim.store
    .listShared(Keys.vm, c.namespace)
    .items.filter((o) => !key || o.metadata.labels?.[key] === value);
  return () => JSON.stringify({ items });
};

const benchLists = async (big: Simulator, base: Simulator): Promise<void> => {
  const cases: ListCase[] = [
    { label: 'all namespaces' },
    { label: 'namespace demo-a', namespace: 'demo-a' },
    {
      label: 'demo-a, redfish-enabled=true',
      namespace: 'demo-a',
      labelSelector: 'redfish-enabled=true',
    },
  ];
  const bigClient = clientFor(big);
  const baseClient = clientFor(base);
  try {
    for (const c of cases) {
      const path = listPath(c);
      collectGarbage();
      const first = await bigClient.get(path, true);
      if (first.status !== 200) throw new Error(`LIST ${path} answered ${first.status}`);
      const items = (JSON.parse(first.body ?? '{}') as { items: unknown[] }).items.length;
      const https = await repeat(LIST_RUNS, () => bigClient.get(path));
      const bare = await repeat(LIST_RUNS, serialiseInProcess(big, c));
      const baseFirst = await baseClient.get(path, true);
      const baseItems = (JSON.parse(baseFirst.body ?? '{}') as { items: unknown[] }).items.length;
      const baseRuns = await repeat(LIST_RUNS, () => baseClient.get(path));
      report.add({
        metric: `LIST VMs, ${c.label} (${fmt.count(items)} items, ${fmt.bytes(first.bytes)})`,
        value: `${fmt.ms(medianMs(https))} median of ${LIST_RUNS}`,
        baseline: `JSON.stringify of the same items: ${fmt.ms(medianMs(bare))}`,
        ratio: medianMs(https) / medianMs(bare),
        note: 'HTTPS list ÷ bare serialisation: the cost of serving it',
      });
      report.add({
        metric: `  per item at ${fmt.count(items)} vs ${fmt.count(baseItems)} items`,
        value: fmt.us((medianMs(https) * 1000) / items),
        baseline: `${fmt.us((medianMs(baseRuns) * 1000) / baseItems)} per item`,
        ratio: medianMs(https) / items / (medianMs(baseRuns) / baseItems),
        note: '≈1 = list cost linear in items, no hidden per-cluster work',
      });
    }
  } finally {
    bigClient.close();
    baseClient.close();
  }
};

const seqAnnotation = 'bench.kubevirt-redfish.io/seq';
const absoluteNow = () => performance.timeOrigin + performance.now();

/** `watchers` watch streams held by a worker thread (see lib/watch-worker.ts). */
const openWatchers = async (sim: Simulator, watchers: number) => {
  const worker = startTsWorker(new URL('./lib/watch-worker.ts', import.meta.url));
  const next = () =>
    new Promise<FromWorker>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`watch clients silent for ${DELIVERY_TIMEOUT_MS} ms`)),
        DELIVERY_TIMEOUT_MS,
      );
      worker.once('message', (message: FromWorker) => {
        clearTimeout(timer);
        if (message.kind === 'failed') reject(new Error(message.message));
        else resolve(message);
      });
    });
  const send = (message: ToWorker) => worker.postMessage(message);
  const opened = next();
  send({
    kind: 'open',
    baseUrl: sim.url,
    token: sim.token,
    ...(sim.caPem ? { caPem: sim.caPem } : {}),
    path: `/apis/kubevirt.io/v1/virtualmachines?watch=true&resourceVersion=${sim.store.currentResourceVersion()}`,
    watchers,
  });
  await opened;
  return {
    /** Announces a seq range; resolves with every [seq, received at] once all have it all. */
    expect: (first: number, count: number) => {
      const done = next();
      send({ kind: 'expect', first, count });
      return done.then((m) => (m.kind === 'done' ? m.received : []));
    },
    close: async () => {
      send({ kind: 'close' });
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
};

/** Writes BURST VM changes into the store at once and waits until every watcher has seen every
 *  one of them. */
const burst = async (sim: Simulator, watchers: number, firstSeq: number) => {
  const names = sim.store
    .listShared(Keys.vm)
    .items.slice(0, BURST)
    .map((o) => [o.metadata.namespace ?? '', o.metadata.name ?? ''] as const);
  const clients = await openWatchers(sim, watchers);
  try {
    const delivered = clients.expect(firstSeq, names.length);
    const writtenAt = new Map<number, number>();
    const start = absoluteNow();
    names.forEach(([namespace, name], i) => {
      writtenAt.set(firstSeq + i, absoluteNow());
      sim.store.mutate(Keys.vm, namespace, name, (draft) => {
        draft.metadata.annotations = {
          ...draft.metadata.annotations,
          [seqAnnotation]: String(firstSeq + i),
        };
      });
    });
    const written = absoluteNow() - start;
    const received = await delivered;
    const latencies = received.map(([seq, at]) => at - (writtenAt.get(seq) ?? start));
    return {
      writeMs: written,
      drainMs: Math.max(...received.map(([, at]) => at)) - start,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    await clients.close();
  }
};

const benchWatches = async (sim: Simulator): Promise<void> => {
  let seq = 0;
  const rounds = async (watchers: number) => {
    const results = [];
    for (let round = 0; round < WATCH_ROUNDS; round++) {
      collectGarbage();
      results.push(await burst(sim, watchers, seq));
      seq += BURST;
      await sleep(200); // let closed streams and controller reactions drain
    }
    return {
      drainMs: median(results.map((r) => r.drainMs)),
      writeMs: median(results.map((r) => r.writeMs)),
      p50: median(results.map((r) => r.p50)),
      p99: median(results.map((r) => r.p99)),
    };
  };
  const one = await rounds(1);
  const many = await rounds(WATCHERS);
  report.add({
    metric: `${WATCHERS} watches × burst of ${BURST} VM changes: all delivered`,
    value: `${fmt.ms(many.drainMs)} (latency p50 ${fmt.ms(many.p50)}, p99 ${fmt.ms(many.p99)})`,
    baseline: `1 watch: ${fmt.ms(one.drainMs)}`,
    ratio: many.drainMs / one.drainMs,
    note: `fan-out cost; ${WATCHERS} = each watcher costs a whole single-watch delivery`,
  });
  report.add({
    metric: `  server side: the ${BURST} writes, fanned out to every stream`,
    value: fmt.ms(many.writeMs),
    baseline: `1 watch: ${fmt.ms(one.writeMs)}`,
    ratio: many.writeMs / one.writeMs,
    note: 'store writes + watch serialisation + TLS writes, on the server thread',
  });
  report.add({
    metric: `  events delivered`,
    value: fmt.rate((WATCHERS * BURST * 1000) / many.drainMs, 'events'),
    baseline: fmt.rate((BURST * 1000) / one.drainMs, 'events'),
    ratio: (WATCHERS * BURST) / many.drainMs / (BURST / one.drainMs),
    note: 'throughput gained by fanning out (higher is better)',
  });
};

const main = async (): Promise<void> => {
  await benchSeed();
  const base = await startSettled(BASE_VMS);
  const big = await startSettled(VMS);
  report.add({
    metric: `simulator start-up, ${fmt.count(VMS)} VMs (seed + controllers settled)`,
    value: `${fmt.ms(big.ms)} (${fmt.ms(big.cpuMs)} CPU)`,
    baseline: `${fmt.count(BASE_VMS)} VMs: ${fmt.ms(base.ms)}`,
    ratio: perVm(big.ms, VMS) / perVm(base.ms, BASE_VMS),
    note: 'per-VM start-up cost ratio; ≈1 = linear',
  });
  report.add({
    metric: `heap held by ${fmt.count(VMS)} VMs (+DVs, PVCs, VMIs, history)`,
    value: fmt.bytes(big.heapBytes),
    baseline: `${fmt.count(BASE_VMS)} VMs: ${fmt.bytes(base.heapBytes)}`,
    ratio: perVm(big.heapBytes, VMS) / perVm(base.heapBytes, BASE_VMS),
    note: 'per-VM memory ratio; ≈1 = nothing grows faster than the VMs',
  });
  try {
    await benchLists(big.value, base.value);
    await benchWatches(big.value);
  } finally {
    await base.value.close();
    await big.value.close();
  }
  report.print();
};

await main();
