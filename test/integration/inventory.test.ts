// Inventory over real HTTP against the simulator (issue 13 items 1–3, 5): Processors, Memory,
// EthernetInterfaces, SimpleStorage and Storage of VMs sized by explicit topology, by an
// instancetype and by resource requests only, with several NICs and disks of every volume kind;
// every value checked against the simulator's objects and every body against its DMTF schema.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createVm } from '../../src/sim/scenarios.ts';
import { TypeKeys } from '../../src/sim/resource-types.ts';
import { odataTypes } from '../../src/redfish/odata.ts';
import { precompileSchemas, validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { errorIds } from '../conformance/redfish-errors.ts';
import {
  reset,
  simulatorOf,
  storedVm,
  storedVmi,
  systemUrl,
  vmKey,
  waitForCluster,
  waitForSystem,
} from './systems-http.ts';

const GiB = 1024 ** 3;
const ns = 'demo-a';

/** Rewrites a stored VM's template (what a user's `kubectl edit` would do). */
const editVm = (service: TestService, name: string, edit: (spec: any) => void): void => {
  simulatorOf(service).store.mutate(vmKey, ns, name, (draft) => {
    edit((draft.spec as any).template.spec);
  });
};

const claim = (name: string, size: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: ns },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
  status: { phase: 'Bound', capacity: { storage: size } },
});

void describe('inventory resources of a system', () => {
  let service: TestService;
  before(async () => {
    precompileSchemas(Object.values(odataTypes));
    service = await startService();
    const store = simulatorOf(service).store;
    // Explicit topology, a DataVolume root disk, two more NICs and every kind of volume.
    createVm(store, {
      namespace: ns,
      name: 'inv-topology',
      runStrategy: 'Halted',
      cpu: { sockets: 2, cores: 3, threads: 2 },
      memory: '3Gi',
      mac: '52:54:00:aa:bb:01',
      rootDisk: { kind: 'dataVolume', source: 'registry', size: '30Gi' },
    });
    store.create('persistentvolumeclaims', claim('inv-data', '12Gi'));
    editVm(service, 'inv-topology', (spec) => {
      spec.architecture = 'arm64';
      spec.domain.devices.interfaces.push(
        { name: 'storage', bridge: {}, macAddress: '52:54:00:AA:BB:02' },
        { name: 'backup', bridge: {} },
      );
      spec.networks.push(
        { name: 'storage', multus: { networkName: 'storage-net' } },
        { name: 'backup', multus: { networkName: 'backup-net' } },
      );
      spec.domain.devices.disks.push(
        { name: 'data', disk: { bus: 'sata' } },
        { name: 'scratch', disk: { bus: 'virtio' } },
        { name: 'image', disk: { bus: 'scsi' } },
        { name: 'cloudinit', disk: { bus: 'virtio' } },
        { name: 'redfish-cd', cdrom: { bus: 'sata' } },
      );
      spec.volumes.push(
        { name: 'data', persistentVolumeClaim: { claimName: 'inv-data' } },
        { name: 'scratch', emptyDisk: { capacity: '2Gi' } },
        { name: 'image', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
        { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config' } },
      );
    });
    // Sized by a namespaced instancetype, and by a cluster-wide one.
    store.create(TypeKeys.instancetypes, {
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineInstancetype',
      metadata: { name: 'u1.large', namespace: ns },
      spec: { cpu: { guest: 4 }, memory: { guest: '6Gi' } },
    });
    store.create(TypeKeys.clusterInstancetypes, {
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineClusterInstancetype',
      metadata: { name: 'cx1.medium' },
      spec: { cpu: { guest: 2 }, memory: { guest: '5Gi' } },
    });
    for (const [name, instancetype] of [
      ['inv-instancetype', { kind: 'VirtualMachineInstancetype', name: 'u1.large' }],
      ['inv-cluster-type', { name: 'cx1.medium' }],
    ] as const) {
      createVm(store, { namespace: ns, name, runStrategy: 'Halted' });
      store.mutate(vmKey, ns, name, (draft) => {
        const spec = draft.spec as any;
        spec.instancetype = instancetype;
        delete spec.template.spec.domain.cpu;
        delete spec.template.spec.domain.memory;
        delete spec.template.spec.domain.resources;
      });
    }
    // Only resource requests and limits: KubeVirt makes the CPU limit the socket count.
    createVm(store, { namespace: ns, name: 'inv-requests', runStrategy: 'Halted' });
    editVm(service, 'inv-requests', (spec) => {
      delete spec.domain.cpu;
      delete spec.domain.memory;
      spec.domain.resources = { requests: { memory: '1536Mi', cpu: '500m' }, limits: { cpu: '3' } };
    });
    await service.waitFor(
      async () =>
        (await service.request(systemUrl(`${ns}.inv-requests`), { user: 'admin' })).status === 200,
    );
  });
  after(() => service.close());

  const processors = async (id: string) => {
    const collection = await service.getValid(`${systemUrl(id)}/Processors`);
    return Promise.all(
      collection.Members.map((m: { '@odata.id': string }) => service.getValid(m['@odata.id'])),
    );
  };

  void it('links every inventory resource from the system, and each resolves', async () => {
    // Fetched first and validated after: a first schema compile on a busy machine can outlast the
    // server's keep-alive timeout, and the next request would meet a closed socket.
    const system = (await service.request(systemUrl(`${ns}.inv-topology`), { user: 'admin' })).body;
    const keys = ['Processors', 'Memory', 'EthernetInterfaces', 'SimpleStorage', 'Storage'];
    const replies = [];
    for (const key of keys)
      replies.push(await service.request(system[key]['@odata.id'], { user: 'admin' }));
    validateRedfish(system);
    assert.equal(system.IndicatorLED, 'Off');
    replies.forEach((reply, i) => {
      assert.equal(reply.status, 200, keys[i]);
      validateRedfish(reply.body);
    });
  });

  void it('reports an explicit topology and the VM architecture', async () => {
    const id = `${ns}.inv-topology`;
    const system = await service.getValid(systemUrl(id));
    assert.deepEqual(system.ProcessorSummary, {
      Count: 2,
      CoreCount: 6,
      LogicalProcessorCount: 12,
    });
    assert.equal(system.MemorySummary.TotalSystemMemoryGiB, 3);
    const cpus = await processors(id);
    assert.equal(cpus.length, 2);
    for (const cpu of cpus) {
      assert.equal(cpu.TotalCores, 3);
      assert.equal(cpu.TotalThreads, 6);
      assert.equal(cpu.ProcessorArchitecture, 'ARM');
      assert.equal(cpu.InstructionSet, 'ARM-A64');
    }
    const memory = await service.getValid(`${systemUrl(id)}/Memory`);
    assert.equal(memory.Members.length, 1);
    const module = await service.getValid(memory.Members[0]['@odata.id']);
    assert.equal(module.CapacityMiB, 3 * 1024);
  });

  void it('sizes VMs from their namespaced or cluster instancetype', async () => {
    for (const [name, vcpus, memory] of [
      ['inv-instancetype', 4, 6],
      ['inv-cluster-type', 2, 5],
    ] as const) {
      const id = `${ns}.${name}`;
      // The cluster-scoped cache does not hold up readiness, so it may fill a moment later.
      const system = await waitForSystem(
        service,
        id,
        (s) => s.ProcessorSummary?.LogicalProcessorCount === vcpus,
        `${name} sized by its instancetype`,
      );
      assert.equal(system.MemorySummary.TotalSystemMemoryGiB, memory, name);
      const cpus = await processors(id);
      assert.equal(
        cpus.reduce((sum: number, cpu: { TotalThreads: number }) => sum + cpu.TotalThreads, 0),
        vcpus,
        `${name}: Ironic sums TotalThreads`,
      );
      assert.match(cpus[0].Description, /instancetype/, name);
      const module = await service.getValid(`${systemUrl(id)}/Memory/Memory0`);
      assert.equal(module.CapacityMiB, memory * 1024);
    }
  });

  void it('follows an instancetype change without a restart', async () => {
    simulatorOf(service).store.mutate(
      TypeKeys.clusterInstancetypes,
      undefined,
      'cx1.medium',
      (d) => {
        (d.spec as any).cpu.guest = 3;
      },
    );
    await waitForSystem(
      service,
      `${ns}.inv-cluster-type`,
      (s) => s.ProcessorSummary?.LogicalProcessorCount === 3,
      'the new instancetype size',
    );
  });

  void it('sizes a VM from its resources alone, architecture from the webhook default', async () => {
    const id = `${ns}.inv-requests`;
    const system = await service.getValid(systemUrl(id));
    assert.deepEqual(system.ProcessorSummary, { Count: 3, CoreCount: 3, LogicalProcessorCount: 3 });
    assert.equal(system.MemorySummary.TotalSystemMemoryGiB, 1.5);
    const [cpu] = await processors(id);
    // Created without one, the VM carries the cluster default KubeVirt's webhook wrote into it.
    assert.equal(storedVm(service, ns, 'inv-requests').spec.template?.spec?.architecture, 'amd64');
    assert.equal(cpu.ProcessorArchitecture, 'x86');
    assert.equal(cpu.InstructionSet, 'x86-64');
  });

  void it('shows one EthernetInterface per VM interface, MACs from the spec', async () => {
    const id = `${ns}.inv-topology`;
    const collection = await service.getValid(`${systemUrl(id)}/EthernetInterfaces`);
    const nics = await Promise.all(
      collection.Members.map((m: { '@odata.id': string }) => service.getValid(m['@odata.id'])),
    );
    assert.deepEqual(
      nics.map((n) => [n.Id, n.MACAddress]),
      [
        ['default', '52:54:00:aa:bb:01'],
        ['storage', '52:54:00:aa:bb:02'],
        // No MAC in the spec and no running instance: none is invented.
        ['backup', undefined],
      ],
    );
    for (const nic of nics) {
      assert.deepEqual(nic.Status, { State: 'Enabled', Health: 'OK' });
      assert.equal(nic.LinkStatus, undefined, 'link state is known only while running');
    }
  });

  void it('takes MACs, link state and addresses from the running instance', async () => {
    const id = `${ns}.inv-topology`;
    await reset(service, id, 'On');
    await waitForCluster(
      service,
      () => storedVmi(service, ns, 'inv-topology')?.status?.phase === 'Running',
      'the VMI runs',
    );
    const vmi = storedVmi(service, ns, 'inv-topology')!;
    await waitForSystem(service, id, (s) => s.PowerState === 'On', 'On');
    const live = new Map(vmi.status!.interfaces!.map((i) => [i.name, i]));
    for (const name of ['default', 'storage', 'backup']) {
      const nic = await service.getValid(`${systemUrl(id)}/EthernetInterfaces/${name}`);
      const status = live.get(name)!;
      assert.equal(nic.MACAddress, status.mac, name);
      assert.equal(nic.LinkStatus, status.linkState === 'up' ? 'LinkUp' : 'LinkDown', name);
      assert.deepEqual(
        (nic.IPv4Addresses ?? []).map((a: { Address: string }) => a.Address),
        (status.ipAddresses ?? []).filter((a) => !a.includes(':')),
        name,
      );
    }
  });

  void it('shows a drive per disk of known size in Storage, every disk in SimpleStorage', async () => {
    const id = `${ns}.inv-topology`;
    const vm = storedVm(service, ns, 'inv-topology');
    const disks = vm.spec.template!.spec!.domain!.devices!.disks!.filter(
      (d) => d.name !== 'redfish-cd',
    );
    const rootClaim = simulatorOf(service).store.get(
      'persistentvolumeclaims',
      ns,
      'inv-topology-rootdisk',
    ) as any;
    // The VM runs (the test above started it): the cloud-init disk has the size virt-handler
    // measured; the containerDisk has none, so it is no Storage drive (storage-sizes.test.ts
    // covers the VM off too).
    const measured = storedVmi(service, ns, 'inv-topology')?.status?.volumeStatus?.find(
      (v) => v.name === 'cloudinit',
    )?.size;
    assert.ok(measured !== undefined && measured > 0, 'the running VMI measured the ISO');
    const sizes: Record<string, number | undefined> = {
      rootdisk: 30 * GiB,
      data: 12 * GiB,
      // An emptyDisk states its size (KubeVirt makes a sparse image of that capacity).
      scratch: 2 * GiB,
      cloudinit: measured,
    };
    const sized = disks.filter((d) => sizes[d.name] !== undefined);
    assert.equal(rootClaim.status.capacity.storage, '30Gi');
    const storage = await service.getValid(`${systemUrl(id)}/Storage/Disks`);
    assert.equal(storage['Drives@odata.count'], sized.length);
    const drives = await Promise.all(
      storage.Drives.map((d: { '@odata.id': string }) => service.getValid(d['@odata.id'])),
    );
    const protocols: Record<string, string | undefined> = {
      rootdisk: 'PCIe',
      data: 'SATA',
      scratch: 'PCIe',
      cloudinit: 'PCIe',
    };
    assert.deepEqual(
      drives.map((d) => [d.Id, d.CapacityBytes, d.Protocol]),
      sized.map((d) => [d.name, sizes[d.name], protocols[d.name]]),
    );
    const volumes = await service.getValid(storage.Volumes['@odata.id']);
    assert.equal(volumes['Members@odata.count'], sized.length);
    for (const member of volumes.Members) {
      const volume = await service.getValid(member['@odata.id']);
      assert.equal(volume.CapacityBytes, sizes[volume.Id], volume.Id);
      await service.getValid(volume.Links.Drives[0]['@odata.id']);
    }
    const simple = await service.getValid(`${systemUrl(id)}/SimpleStorage/Disks`);
    assert.deepEqual(
      simple.Devices.map((d: { Name: string; CapacityBytes?: number }) => [
        d.Name,
        d.CapacityBytes,
      ]),
      disks.map((d) => [d.name, sizes[d.name]]),
      'SimpleStorage names every disk, sized where Storage is',
    );
  });

  void it('answers 404 for members that do not exist', async () => {
    const id = `${ns}.inv-topology`;
    for (const path of [
      'Processors/CPU2',
      'Memory/Memory1',
      'EthernetInterfaces/nope',
      'Storage/Other',
      'Storage/Disks/Drives/redfish-cd',
      'Storage/Disks/Drives/image',
      'Storage/Disks/Volumes/image',
      'Storage/Disks/Volumes/nope',
      'SimpleStorage/Other',
    ]) {
      const reply = await service.request(`${systemUrl(id)}/${path}`, { user: 'admin' });
      assert.deepEqual(errorIds(reply, 404), ['ResourceNotFound'], path);
    }
  });
});
