// Concurrent writes (issue 12 item 4): 50 Resets at once on 50 VMs, then 50 InsertMedia at once
// on 50 VMs, against the service on the simulator (in this process, as bench/redfish.ts). Reports
// each batch's response times (p50/p99/max) and counts the KubeVirt writes the Resets made:
// exactly one per Reset of a VM under runStrategy Manual (a start, a restart) or the run fails.
// Baseline: one Reset alone, so the ratio says what 50 at once cost each request.
import { startService, users, type TestService } from '../test/helpers/service.ts';
import { createClient, type Client } from './lib/client.ts';
import { Report, fmt, machine, median, percentile, sleep } from './lib/measure.ts';

const VMS = 300;
const BATCH = 50;

const report = new Report(`writes — ${BATCH} concurrent requests (${machine()})`);

/** Writes the service made to KubeVirt objects (patches, start/stop/restart subresources). */
const kubevirtWrites = (service: TestService): number => {
  const api = service.service.simulator?.apiServer;
  if (!api) throw new Error('the service runs without its simulator');
  const prefixes = ['/apis/kubevirt.io/', '/apis/subresources.kubevirt.io/'];
  return prefixes.reduce(
    (sum, pathPrefix) =>
      sum + api.requestCount({ pathPrefix }) - api.requestCount({ method: 'GET', pathPrefix }),
    0,
  );
};

interface Target {
  readonly path: string;
  readonly resetType: 'On' | 'ForceRestart';
}

/** VMs under runStrategy Manual, stopped (Reset On) or running (ForceRestart): one call each. */
const manualVms = async (service: TestService, client: Client): Promise<Target[]> => {
  const simulator = service.service.simulator;
  if (!simulator) throw new Error('the service runs without its simulator');
  const collection = JSON.parse((await client.get('/redfish/v1/Systems', true)).body ?? '{}') as {
    Members: { '@odata.id': string }[];
  };
  const targets: Target[] = [];
  for (const { '@odata.id': path } of collection.Members) {
    const [namespace = '', name = ''] = (path.split('/').pop() ?? '').split(/\.(.*)/s);
    const vm = simulator.store.get('virtualmachines.kubevirt.io', namespace, name);
    const spec = vm?.spec as { runStrategy?: string } | undefined;
    const status = (vm?.status as { printableStatus?: string } | undefined)?.printableStatus;
    if (spec?.runStrategy !== 'Manual') continue;
    if (status === 'Stopped') targets.push({ path, resetType: 'On' });
    else if (status === 'Running') targets.push({ path, resetType: 'ForceRestart' });
  }
  return targets;
};

const summary = (times: readonly number[]): string =>
  `p50 ${fmt.ms(median(times))}, p99 ${fmt.ms(percentile(times, 99))}, max ${fmt.ms(Math.max(...times))}`;

const main = async (): Promise<void> => {
  const service = await startService({ vms: VMS });
  const client = createClient({
    baseUrl: service.url,
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${users.admin}`).toString('base64')}`,
    },
  });
  try {
    const targets = await manualVms(service, client);
    if (targets.length < BATCH + 1)
      throw new Error(`only ${targets.length} Manual VMs stopped or running`);
    const reset = async ({ path, resetType }: Target): Promise<number> => {
      const reply = await client.request('POST', `${path}/Actions/ComputerSystem.Reset`, {
        ResetType: resetType,
      });
      if (reply.status !== 204 && reply.status !== 200)
        throw new Error(`Reset ${resetType} of ${path} answered ${reply.status}`);
      return reply.ms;
    };

    // One alone first: the baseline, and the per-Reset count on a quiet service.
    const [single, ...rest] = targets;
    await sleep(300);
    let before = kubevirtWrites(service);
    const alone = await reset(single as Target);
    const aloneCalls = kubevirtWrites(service) - before;

    const batch = rest.slice(0, BATCH);
    await sleep(300); // controllers and informers quiet before the window opens
    before = kubevirtWrites(service);
    const times = await Promise.all(batch.map(reset));
    const calls = kubevirtWrites(service) - before;
    // Counts, not timings: a broken invariant fails the run (bench/run.ts exits non-zero).
    if (calls !== BATCH || aloneCalls !== 1) process.exitCode = 1;
    report.add({
      metric: `${BATCH} Resets at once (On or ForceRestart, runStrategy Manual)`,
      value: summary(times),
      baseline: `one alone: ${fmt.ms(alone)}`,
      ratio: median(times) / alone,
      note: 'p50 ÷ one alone',
    });
    report.add({
      metric: '— KubeVirt writes per Reset',
      value: `${calls / BATCH} (${calls} for ${BATCH}); one alone: ${aloneCalls}`,
      note: calls === BATCH && aloneCalls === 1 ? 'exactly one, as required' : 'UNEXPECTED',
    });

    const media = rest.slice(BATCH, BATCH * 2).length === BATCH ? rest.slice(BATCH) : targets;
    const insert = async ({ path }: Target, i: number): Promise<number> => {
      const reply = await client.request(
        'POST',
        `${path}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
        // The loopback is the image host the test config allows; nothing has to answer there
        // for the insert to be accepted (the import runs, and fails, afterwards).
        { Image: `http://127.0.0.1:9/bench-${i}.iso` },
      );
      if (reply.status !== 202 && reply.status !== 204)
        throw new Error(`InsertMedia on ${path} answered ${reply.status}: ${reply.body ?? ''}`);
      return reply.ms;
    };
    await sleep(300);
    const mediaTimes = await Promise.all(media.slice(0, BATCH).map(insert));
    report.add({
      metric: `${BATCH} InsertMedia at once (50 VMs)`,
      value: summary(mediaTimes),
    });
  } finally {
    client.close();
    await service.close();
  }
  report.print();
};

await main();
