// virt-handler's volumeStatus[].size: the ISO files of cloud-init and config volumes get one
// while the VMI runs; containerDisks, claims and emptyDisks never do (updateIsoSizeStatus).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { isoImageBytes } from './iso-volumes.ts';
import { Keys, type VolumeStatus } from './kubevirt-objects.ts';
import { startTestCluster, vmiPhase, type TestCluster } from './test-support.ts';

const MiB = 1024 * 1024;

let cluster: TestCluster | undefined;
afterEach(() => {
  cluster?.close();
  assert.deepEqual(cluster?.errors ?? [], []);
  cluster = undefined;
});

void test('an ISO is whole 1 MiB cylinders: one for usual data, more past the first', () => {
  const userData = '#cloud-config\nhostname: vm1\n';
  assert.equal(isoImageBytes({ name: 'c', cloudInitNoCloud: { userData } }), MiB);
  assert.equal(
    isoImageBytes({ name: 'c', cloudInitConfigDrive: { secretRef: { name: 's' } } }),
    MiB,
  );
  assert.equal(isoImageBytes({ name: 'c', configMap: { name: 'cm' } }), MiB);
  const big = Buffer.alloc(900 * 1024, 'a').toString('base64');
  assert.equal(isoImageBytes({ name: 'c', cloudInitNoCloud: { userDataBase64: big } }), 2 * MiB);
});

void test('a running VMI reports the size of its ISO volumes only', async () => {
  const sim = (cluster = startTestCluster({ delays: 'instant' }));
  sim.createVm({ name: 'vm1', runStrategy: 'Always' });
  sim.store.mutate(Keys.vm, 'ns', 'vm1', (draft) => {
    const spec = (draft.spec as { template: { spec: any } }).template.spec;
    spec.domain.devices.disks.push(
      { name: 'image', disk: { bus: 'virtio' } },
      { name: 'scratch', disk: { bus: 'virtio' } },
      { name: 'cloudinit', disk: { bus: 'virtio' } },
    );
    spec.volumes.push(
      { name: 'image', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
      { name: 'scratch', emptyDisk: { capacity: '2Gi' } },
      { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
    );
  });
  await sim.advance(0);
  assert.equal(vmiPhase(sim.vmi('vm1')), 'Running');
  const statuses = (sim.vmi('vm1')?.status as { volumeStatus: VolumeStatus[] }).volumeStatus;
  assert.deepEqual(Object.fromEntries(statuses.map((s) => [s.name, s.size])), {
    rootdisk: undefined,
    image: undefined,
    scratch: undefined,
    cloudinit: MiB,
  });
});
