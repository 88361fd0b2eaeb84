// A client that hangs up in the middle of a write (issue 14): the request's AbortSignal stops
// the adapter before its next API call (no retries for nobody), and what the write had begun is
// either finished or undone, never left half-done (no orphan DataVolume or Secret).
import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/sim/types.ts';
import { MediaLabels } from '../../src/kube/media-naming.ts';
import { captureLogs, type LogCapture } from '../helpers/log-capture.ts';
import { startService, users, type TestService } from '../helpers/service.ts';
import {
  resetUrl,
  simulatorOf,
  storedVm,
  storedVmi,
  systemUrl,
  templateOf,
  waitForCluster,
} from './systems-http.ts';

const ns = 'demo-a';
/** Latency the simulated API server adds to every request: the hang-up lands mid-call. */
const latencyMs = 600;

void describe('a client that hangs up mid-write', () => {
  let service: TestService;
  let logs: LogCapture;
  before(async () => {
    logs = captureLogs();
    service = await startService({ logger: logs.logger });
  });
  afterEach(() => simulatorOf(service).faults.clear());
  after(() => service.close());

  type CallFilter = { readonly method?: string; readonly pathPrefix?: string };

  /** Sends the write, waits until the API server has received the call `arrived` names, then
   *  destroys the socket without reading an answer. Once the handler has left its audit
   *  records and a little longer, resolves with their outcomes and, per `watched`, the API
   *  calls made after the hang-up. (Named calls only: informers relist collections on their
   *  own schedule.) */
  const sendAndHangUp = async <K extends string>(
    path: string,
    body: unknown,
    arrived: CallFilter,
    watched: Readonly<Record<K, CallFilter>>,
    method = 'POST',
  ): Promise<{ outcomes: unknown[]; after: Record<K, number> }> => {
    const api = simulatorOf(service).apiServer;
    const arrivedBefore = api.requestCount(arrived);
    const since = logs.mark();
    const url = new URL(path, service.url);
    const json = JSON.stringify(body);
    const req = httpRequest(url, {
      method,
      agent: false,
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${users.admin}`).toString('base64')}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(json),
      },
    });
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', () => undefined);
    req.end(json);
    await waitForCluster(
      service,
      () => api.requestCount(arrived) > arrivedBefore,
      'the write reached the API server',
    );
    const keys = Object.keys(watched) as K[];
    const atHangUp = keys.map((k) => api.requestCount(watched[k]));
    req.destroy();
    assert.equal(answered, false, 'the hang-up came before the answer');
    const audit = () => since().filter((l) => l.msg === 'write' || l.msg === 'write failed');
    await service.waitFor(() => audit().length > 0);
    // Long enough for the retries a write that ignored its signal would still be making.
    await new Promise((resolve) => setTimeout(resolve, 2 * latencyMs));
    const after = Object.fromEntries(
      keys.map((k, i) => [k, api.requestCount(watched[k]) - (atHangUp[i] ?? 0)]),
    ) as Record<K, number>;
    return { outcomes: audit().map((l) => l.outcome), after };
  };

  void it('a login stopped after storing its session deletes it: no session nobody holds', async () => {
    const sessionSecrets = `/api/v1/namespaces/kubevirt-redfish/secrets`;
    const stored = () =>
      simulatorOf(service).store.list('secrets', 'kubevirt-redfish').items.length;
    const before = stored();
    simulatorOf(service).faults.latencyMs = latencyMs;
    const { outcomes, after: calls } = await sendAndHangUp(
      '/redfish/v1/SessionService/Sessions',
      { UserName: 'operator-a', Password: users['operator-a'] },
      { method: 'POST', pathPrefix: sessionSecrets },
      { deletes: { method: 'DELETE', pathPrefix: sessionSecrets } },
    );
    assert.deepEqual(outcomes, ['failed'], 'one audit record, a failure');
    assert.deepEqual(calls, { deletes: 1 });
    await waitForCluster(service, () => stored() === before, 'the session Secret deleted');
  });

  void it('Reset: the retries of a conflicting patch stop, and the VM is not started', async () => {
    const name = 'legacy-bios';
    const id = `${ns}.${name}`;
    const vmPath = `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines/${name}`;
    assert.equal((await service.getValid(systemUrl(id))).PowerState, 'Off');
    const before = storedVm(service, ns, name);
    assert.equal(before.spec.runStrategy, 'Halted');
    const faults = simulatorOf(service).faults;
    faults.latencyMs = latencyMs;
    // Without the hang-up, On would patch runStrategy five times (four conflicts) and start.
    faults.failNextWrites(4, 409);
    const { outcomes, after: calls } = await sendAndHangUp(
      resetUrl(id),
      { ResetType: 'On' },
      { method: 'PATCH', pathPrefix: vmPath },
      {
        vm: { pathPrefix: vmPath },
        subresources: { pathPrefix: `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/` },
      },
    );
    assert.deepEqual(outcomes, ['failed'], 'one audit record, a failure');
    // The patch in flight at the hang-up was the last call: no re-read, no retry, no start.
    assert.deepEqual(calls, { vm: 0, subresources: 0 });
    const after = storedVm(service, ns, name);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'no write');
    assert.equal(storedVmi(service, ns, name), undefined, 'not started');
  });

  /** The virtual-media objects of a VM (by its uid label). */
  const mediaObjects = (name: string) => {
    const uid = storedVm(service, ns, name).metadata.uid ?? '';
    const selector = (o: KubeObject) => o.metadata.labels?.[MediaLabels.vmUid] === uid;
    const store = simulatorOf(service).store;
    return {
      dataVolumes: store.list('datavolumes.cdi.kubevirt.io', ns).items.filter(selector).length,
      secrets: store.list('secrets', ns).items.filter(selector).length,
      attached: (templateOf(storedVm(service, ns, name))?.volumes ?? []).some(
        (v) => v.dataVolume?.name.includes('-vmedia-') ?? false,
      ),
    };
  };

  const insertBody = (image: string) => ({
    Image: `http://images.example.com/${image}`,
    UserName: 'reader',
    Password: 'image-password',
  });
  const insertUrl = (name: string) =>
    `${systemUrl(`${ns}.${name}`)}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`;

  void it('InsertMedia stopped after creating its DataVolume undoes it: no orphan Secret', async () => {
    const name = 'db-primary';
    assert.deepEqual(mediaObjects(name), { dataVolumes: 0, secrets: 0, attached: false });
    const before = storedVm(service, ns, name);
    simulatorOf(service).faults.latencyMs = latencyMs;
    const dvPath = `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes`;
    const { outcomes, after: calls } = await sendAndHangUp(
      insertUrl(name),
      insertBody('hang-up.iso'),
      { method: 'POST', pathPrefix: dvPath },
      {
        vm: { pathPrefix: `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines/${name}` },
        vmi: {
          pathPrefix: `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/${name}`,
        },
        dataVolumeDeletes: { method: 'DELETE', pathPrefix: dvPath },
        secretDeletes: { method: 'DELETE', pathPrefix: `/api/v1/namespaces/${ns}/secrets` },
      },
    );
    assert.deepEqual(outcomes, ['failed'], 'one audit record, a failure');
    // After the hang-up: the DataVolume create in flight finished, then only its undoing.
    assert.deepEqual(calls, { vm: 0, vmi: 0, dataVolumeDeletes: 1, secretDeletes: 1 });
    await waitForCluster(
      service,
      () => mediaObjects(name).dataVolumes === 0 && mediaObjects(name).secrets === 0,
      'the stopped insert removed its DataVolume and Secret',
    );
    assert.deepEqual(mediaObjects(name), { dataVolumes: 0, secrets: 0, attached: false });
    const after = storedVm(service, ns, name);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'VM untouched');
  });

  void it('InsertMedia whose attach patch is in flight at the hang-up completes whole', async () => {
    const name = 'app-server-1';
    const nsB = 'demo-b';
    const vmPath = `/apis/kubevirt.io/v1/namespaces/${nsB}/virtualmachines/${name}`;
    simulatorOf(service).faults.latencyMs = latencyMs;
    const store = simulatorOf(service).store;
    const uid = storedVm(service, nsB, name).metadata.uid ?? '';
    const ours = (o: KubeObject) => o.metadata.labels?.[MediaLabels.vmUid] === uid;
    const { outcomes } = await sendAndHangUp(
      `${systemUrl(`${nsB}.${name}`)}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
      insertBody('whole.iso'),
      { method: 'PATCH', pathPrefix: vmPath },
      {},
    );
    // The attach was the last step: it landed, so the insert is whole (and reported so).
    assert.deepEqual(outcomes, ['succeeded']);
    assert.ok(
      (templateOf(storedVm(service, nsB, name))?.volumes ?? []).some((v) =>
        v.dataVolume?.name.includes('-vmedia-'),
      ),
      'the image is attached',
    );
    assert.equal(store.list('datavolumes.cdi.kubevirt.io', nsB).items.filter(ours).length, 1);
    assert.equal(store.list('secrets', nsB).items.filter(ours).length, 1);
  });

  void it('a Bios PATCH whose first half landed makes the second too: never half a change', async () => {
    const name = 'legacy-bios';
    const vmPath = `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines/${name}`;
    const before = templateOf(storedVm(service, ns, name))?.domain;
    assert.equal(before?.firmware?.bootloader?.efi, undefined, 'it boots BIOS');
    simulatorOf(service).faults.latencyMs = latencyMs;
    const { outcomes } = await sendAndHangUp(
      `${systemUrl(`${ns}.${name}`)}/Bios/Settings`,
      { Attributes: { BootMode: 'UEFI', SecureBoot: 'Enabled' } },
      { method: 'PATCH', pathPrefix: vmPath },
      {},
      'PATCH',
    );
    // The boot mode, then secure boot: two writes, both made.
    assert.deepEqual(outcomes, ['succeeded', 'succeeded']);
    const domain = templateOf(storedVm(service, ns, name))?.domain;
    assert.equal(domain?.firmware?.bootloader?.efi?.secureBoot, true);
    assert.equal(domain?.features?.smm?.enabled, true);
  });
});
