// The Redfish service on the simulator (issue 3, "Performance"): GET latency and throughput of
// Systems/{id}, API-server calls per GET (must be 0) and per Reset (must be 1), and whether
// per-request work grows with the number of VMs (2,000 VMs against a 100-VM baseline).
import { startService, users, type TestService } from '../test/helpers/service.ts';
import { createClient, type Client } from './lib/client.ts';
import {
  Report,
  collectGarbage,
  fmt,
  machine,
  median,
  percentile,
  sleep,
  timed,
} from './lib/measure.ts';

const VMS = 2_000;
const BASE_VMS = 100;
/** Sequential GETs per service, taken in alternating blocks so drift hits both alike. */
const GETS = 2_000;
const BLOCK = 250;
const CONCURRENCY = 8;
const COLLECTION_RUNS = 15;
const STATE_TIMEOUT_MS = 30_000;

const report = new Report(`redfish — service on the simulator (${machine()})`);

interface Rig {
  readonly vms: number;
  readonly service: TestService;
  readonly client: Client;
  /** A system in the middle of the collection, and one that starts Off under runStrategy Manual. */
  readonly systemPath: string;
  readonly manualOffPath: string;
  readonly haltedOffPath: string;
  readonly members: number;
  /** API-server requests received so far. */
  apiCalls(): number;
}

const systemsPath = '/redfish/v1/Systems';

const startRig = async (vms: number): Promise<Rig> => {
  const service = await startService({ vms });
  const client = createClient({
    baseUrl: service.url,
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${users.admin}`).toString('base64')}`,
    },
  });
  const simulator = service.service.simulator;
  if (!simulator) throw new Error('the service runs without its simulator');
  const collection = JSON.parse((await client.get(systemsPath, true)).body ?? '{}') as {
    Members: { '@odata.id': string }[];
  };
  const ids = collection.Members.map((m) => m['@odata.id']);
  // Which members are off, and under which runStrategy, is read from the simulator's store.
  const offWith = (strategy: string): string => {
    for (const id of ids) {
      const [namespace = '', name = ''] = (id.split('/').pop() ?? '').split(/\.(.*)/s);
      const vm = simulator.store.get('virtualmachines.kubevirt.io', namespace, name);
      const spec = vm?.spec as { runStrategy?: string } | undefined;
      const status = vm?.status as { printableStatus?: string } | undefined;
      if (spec?.runStrategy === strategy && status?.printableStatus === 'Stopped') return id;
    }
    throw new Error(`no stopped ${strategy} VM among ${ids.length} systems`);
  };
  return {
    vms,
    service,
    client,
    systemPath: ids[Math.floor(ids.length / 2)] ?? '',
    manualOffPath: offWith('Manual'),
    haltedOffPath: offWith('Halted'),
    members: ids.length,
    apiCalls: () => simulator.apiServer.requestCount(),
  };
};

const getOk = async (rig: Rig, path: string): Promise<number> => {
  const reply = await rig.client.get(path);
  if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}`);
  return reply.ms;
};

const benchGets = async (big: Rig, base: Rig): Promise<void> => {
  for (const rig of [big, base]) for (let i = 0; i < 200; i++) await getOk(rig, rig.systemPath);
  const latencies = new Map<Rig, number[]>([
    [big, []],
    [base, []],
  ]);
  const callsBefore = big.apiCalls();
  collectGarbage();
  for (let done = 0; done < GETS; done += BLOCK) {
    for (const rig of [big, base]) {
      const into = latencies.get(rig) ?? [];
      for (let i = 0; i < BLOCK; i++) into.push(await getOk(rig, rig.systemPath));
    }
  }
  const calls = big.apiCalls() - callsBefore;
  // Counts, not timings: a broken invariant fails the run (bench/run.ts exits non-zero).
  if (calls !== 0) process.exitCode = 1;
  const bigMs = latencies.get(big) ?? [];
  const baseMs = latencies.get(base) ?? [];
  report.add({
    metric: `GET Systems/{id} at ${fmt.count(big.vms)} VMs, sequential (${fmt.count(GETS)})`,
    value: `median ${fmt.ms(median(bigMs))}, p99 ${fmt.ms(percentile(bigMs, 99))}`,
    baseline: `${fmt.count(base.vms)} VMs: median ${fmt.ms(median(baseMs))}`,
    ratio: median(bigMs) / median(baseMs),
    note: '≈1 = no per-request work that grows with the VM count',
  });
  report.add({
    metric: `  API-server requests during ${fmt.count(GETS)} GETs (+200 warm-up)`,
    value: fmt.count(calls),
    note: calls === 0 ? 'served from the watch caches, as required' : 'MUST be 0: GETs hit the API',
  });
  for (const rig of [big, base]) {
    const run = await timed(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < GETS) await getOk(rig, rig.systemPath);
        }),
      );
    });
    latencies.set(rig, [(GETS * 1000) / run.ms]);
  }
  const bigRate = latencies.get(big)?.[0] ?? 0;
  const baseRate = latencies.get(base)?.[0] ?? 0;
  report.add({
    metric: `GET Systems/{id} throughput, ${CONCURRENCY} in flight`,
    value: fmt.rate(bigRate, 'req'),
    baseline: `${fmt.count(base.vms)} VMs: ${fmt.rate(baseRate, 'req')}`,
    ratio: bigRate / baseRate,
    note: '≈1 = throughput independent of the VM count',
  });
};

const benchCollection = async (big: Rig, base: Rig): Promise<void> => {
  const sample = async (rig: Rig) => {
    const runs: number[] = [];
    let bytes = 0;
    await rig.client.get(systemsPath);
    for (let i = 0; i < COLLECTION_RUNS; i++) {
      const reply = await rig.client.get(systemsPath);
      runs.push(reply.ms);
      bytes = reply.bytes;
    }
    return { ms: median(runs), bytes };
  };
  const before = big.apiCalls();
  const bigRun = await sample(big);
  const calls = big.apiCalls() - before;
  if (calls !== 0) process.exitCode = 1;
  const baseRun = await sample(base);
  report.add({
    metric: `GET Systems collection, ${fmt.count(big.members)} members (${fmt.bytes(bigRun.bytes)})`,
    value: `median ${fmt.ms(bigRun.ms)}, API calls ${calls}`,
    baseline: `${fmt.count(base.members)} members: ${fmt.ms(baseRun.ms)}`,
    ratio: bigRun.ms / big.members / (baseRun.ms / base.members),
    note: 'per-member cost ratio; the one response allowed to grow with VMs',
  });
};

/** Polls the system (GETs never reach the API server) until it reports `state`. */
const waitForPower = async (rig: Rig, path: string, state: string): Promise<void> => {
  const deadline = Date.now() + STATE_TIMEOUT_MS;
  for (;;) {
    const body = JSON.parse((await rig.client.get(path, true)).body ?? '{}') as {
      PowerState?: string;
    };
    if (body.PowerState === state) return;
    if (Date.now() > deadline) throw new Error(`${path} not ${state} after ${STATE_TIMEOUT_MS} ms`);
    await sleep(20);
  }
};

const benchResets = async (rig: Rig): Promise<void> => {
  const reset = async (path: string, type: string, then: string) => {
    await sleep(300); // controllers and informers quiet before the window opens
    const before = rig.apiCalls();
    const reply = await rig.client.request('POST', `${path}/Actions/ComputerSystem.Reset`, {
      ResetType: type,
    });
    const calls = rig.apiCalls() - before;
    if (reply.status !== 204 && reply.status !== 200)
      throw new Error(`Reset ${type} answered ${reply.status}: ${reply.body ?? ''}`);
    await waitForPower(rig, path, then);
    return { calls, ms: reply.ms };
  };
  const steps: [string, string, string, string][] = [
    ['Manual', rig.manualOffPath, 'On', 'On'],
    ['Manual', rig.manualOffPath, 'ForceRestart', 'On'],
    ['Manual', rig.manualOffPath, 'GracefulShutdown', 'Off'],
    ['Manual', rig.manualOffPath, 'On', 'On'],
    ['Manual', rig.manualOffPath, 'ForceOff', 'Off'],
    ['Halted', rig.haltedOffPath, 'On', 'On'],
  ];
  for (const [strategy, path, type, then] of steps) {
    const { calls, ms } = await reset(path, type, then);
    const expected = strategy === 'Halted' && type === 'On' ? 2 : 1;
    if (calls !== expected) process.exitCode = 1;
    report.add({
      metric: `Reset ${type} (runStrategy ${strategy}) at ${fmt.count(rig.vms)} VMs`,
      value: `${calls} API call${calls === 1 ? '' : 's'}, ${fmt.ms(ms)}`,
      note:
        calls !== expected
          ? `UNEXPECTED: ${expected} expected`
          : expected === 1
            ? 'exactly one, as required'
            : 'first On of a Halted VM also sets runStrategy Manual (power.ts, by design)',
    });
  }
};

const main = async (): Promise<void> => {
  const big = await startRig(VMS);
  const base = await startRig(BASE_VMS);
  try {
    await benchGets(big, base);
    await benchCollection(big, base);
    await benchResets(big);
  } finally {
    for (const rig of [big, base]) {
      rig.client.close();
      await rig.service.close();
    }
  }
  report.print();
};

await main();
