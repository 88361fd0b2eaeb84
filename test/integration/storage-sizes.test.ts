// Storage, Drive, Volume and SimpleStorage bodies over real HTTP for a VM with the disks real VMs
// carry (a PVC, a DataVolume, a containerDisk, cloud-init NoCloud and ConfigDrive), running and
// stopped (issue 13): every CapacityBytes comes from the cluster's objects, a disk of unknown size
// is no Drive or Volume (sushy sorts their sizes for Ironic), and every body is schema-valid.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createVm } from '../../src/sim/scenarios.ts';
import { odataTypes } from '../../src/redfish/odata.ts';
import { precompileSchemas } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import {
  reset,
  simulatorOf,
  storedVmi,
  systemUrl,
  vmKey,
  waitForCluster,
  waitForSystem,
} from './systems-http.ts';

const GiB = 1024 ** 3;
const ns = 'demo-a';
const name = 'sized-disks';
const id = `${ns}.${name}`;
const storageUrl = `${systemUrl(id)}/Storage/Disks`;

void describe('disk sizes in Storage and SimpleStorage', () => {
  let service: TestService;

  /** The size the running VMI reports for an ISO volume. */
  const measured = (volume: string): number | undefined =>
    storedVmi(service, ns, name)?.status?.volumeStatus?.find((v) => v.name === volume)?.size;

  /** Storage, its Drives and Volumes and SimpleStorage, each body validated. */
  const read = async () => {
    const storage = await service.getValid(storageUrl);
    const drives = [];
    for (const link of storage.Drives) drives.push(await service.getValid(link['@odata.id']));
    const collection = await service.getValid(storage.Volumes['@odata.id']);
    const volumes = [];
    for (const link of collection.Members) volumes.push(await service.getValid(link['@odata.id']));
    const simple = await service.getValid(`${systemUrl(id)}/SimpleStorage/Disks`);
    return { storage, drives, collection, volumes, simple };
  };

  /** Checks every body against the sizes the cluster states; `sizes` leaves out unsized disks. */
  const check = async (sizes: Record<string, number>, unsized: readonly string[]) => {
    const { storage, drives, collection, volumes, simple } = await read();
    const names = Object.keys(sizes);
    assert.equal(storage['Drives@odata.count'], names.length);
    assert.deepEqual(
      drives.map((d) => [d.Id, d.CapacityBytes]),
      names.map((n) => [n, sizes[n]]),
    );
    for (const drive of drives) {
      assert.deepEqual(drive.Links.Volumes, [{ '@odata.id': `${storageUrl}/Volumes/${drive.Id}` }]);
      assert.deepEqual(drive.Status, { State: 'Enabled', Health: 'OK' });
    }
    assert.equal(collection['Members@odata.count'], names.length);
    assert.deepEqual(
      volumes.map((v) => [v.Id, v.CapacityBytes, v.RAIDType]),
      names.map((n) => [n, sizes[n], 'None']),
    );
    for (const volume of volumes)
      assert.deepEqual(volume.Links.Drives, [{ '@odata.id': `${storageUrl}/Drives/${volume.Id}` }]);
    // SimpleStorage names every disk (VM order), sized exactly where Storage is, never null.
    const devices = new Map(
      simple.Devices.map((d: { Name: string; CapacityBytes?: number }) => [d.Name, d]),
    );
    assert.deepEqual([...devices.keys()].sort(), [...names, ...unsized].sort());
    for (const [device, body] of devices)
      assert.deepEqual(
        Object.hasOwn(body as object, 'CapacityBytes')
          ? (body as { CapacityBytes: number }).CapacityBytes
          : 'absent',
        sizes[device as string] ?? 'absent',
        device as string,
      );
    for (const missing of unsized)
      for (const path of [`Drives/${missing}`, `Volumes/${missing}`]) {
        const reply = await service.request(`${storageUrl}/${path}`, { user: 'admin' });
        assert.deepEqual(errorIds(reply, 404), ['ResourceNotFound'], path);
      }
  };

  before(async () => {
    precompileSchemas(Object.values(odataTypes));
    service = await startService();
    const store = simulatorOf(service).store;
    createVm(store, {
      namespace: ns,
      name,
      runStrategy: 'Halted',
      rootDisk: { kind: 'dataVolume', source: 'http', size: '30Gi' },
    });
    store.create('persistentvolumeclaims', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${name}-data`, namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } },
      status: { phase: 'Bound', capacity: { storage: '8Gi' } },
    });
    store.mutate(vmKey, ns, name, (draft) => {
      const spec = (draft.spec as { template: { spec: any } }).template.spec;
      spec.domain.devices.disks.push(
        { name: 'data', disk: { bus: 'sata' } },
        { name: 'image', disk: { bus: 'virtio' } },
        { name: 'cloudinit', disk: { bus: 'virtio' } },
        { name: 'configdrive', disk: { bus: 'virtio' } },
      );
      spec.volumes.push(
        { name: 'data', persistentVolumeClaim: { claimName: `${name}-data` } },
        { name: 'image', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
        { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\nhostname: sized\n' } },
        { name: 'configdrive', cloudInitConfigDrive: { userData: '#cloud-config\n' } },
      );
    });
    await service.waitFor(
      async () => (await service.request(systemUrl(id), { user: 'admin' })).status === 200,
    );
  });
  after(() => service.close());

  void it('off: the PVC and DataVolume disks are drives; containerDisk and cloud-init are not', async () => {
    await check({ rootdisk: 30 * GiB, data: 8 * GiB }, ['image', 'cloudinit', 'configdrive']);
  });

  void it('running: the cloud-init ISOs join with the size the VMI reports; the containerDisk never', async () => {
    await reset(service, id, 'On');
    await waitForCluster(
      service,
      () => measured('cloudinit') !== undefined && measured('configdrive') !== undefined,
      'the running VMI reports its ISO sizes',
    );
    await waitForSystem(service, id, (s) => s.PowerState === 'On', 'On');
    assert.equal(measured('image'), undefined, 'KubeVirt never measures a containerDisk');
    const sizes = {
      rootdisk: 30 * GiB,
      data: 8 * GiB,
      cloudinit: measured('cloudinit')!,
      configdrive: measured('configdrive')!,
    };
    await service.waitFor(
      async () => (await service.getValid(storageUrl))['Drives@odata.count'] === 4,
    );
    await check(sizes, ['image']);
  });

  void it('stopped again: the cloud-init disks leave Storage with their ISO', async () => {
    await reset(service, id, 'ForceOff');
    await waitForCluster(service, () => storedVmi(service, ns, name) === undefined, 'VMI gone');
    await waitForSystem(service, id, (s) => s.PowerState === 'Off', 'Off');
    await service.waitFor(
      async () => (await service.getValid(storageUrl))['Drives@odata.count'] === 2,
    );
    await check({ rootdisk: 30 * GiB, data: 8 * GiB }, ['image', 'cloudinit', 'configdrive']);
  });
});
