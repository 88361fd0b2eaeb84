// Deterministic demo and scale scenarios: namespaces demo-a and demo-b with a fixed set of VMs
// (most labelled redfish-enabled), plus N generated VMs with realistic specs, all derived from a
// seed so a run repeats exactly.
import { seededRandom } from '../util/clock.ts';
import { Keys, type DataVolumeTemplate, type VmiSpec } from './controllers/kubevirt-objects.ts';
import type { KubeObject, ObjectStore } from './types.ts';
import { randomUuid } from './validation.ts';

export const redfishLabel = 'redfish-enabled';

export interface ScenarioOptions {
  /** Generated VMs on top of the fixed demo set. */
  readonly vms: number;
  readonly seed: number;
  /** Namespaces the generated VMs are spread over; default demo-a and demo-b. */
  readonly namespaces?: readonly string[];
  /** Give VMs an empty CD-ROM drive (valid only where DeclarativeHotplugVolumes is on). */
  readonly emptyCdrom?: boolean;
}

export type RootDisk =
  | { readonly kind: 'dataVolume'; readonly source: 'http' | 'registry'; readonly size: string }
  | { readonly kind: 'pvc'; readonly size: string };

/** What a scenario VM looks like; every field has a realistic default. */
export interface VmBlueprint {
  readonly namespace: string;
  readonly name: string;
  readonly runStrategy?: string;
  readonly labelled?: boolean;
  readonly cpu?: { sockets: number; cores: number; threads: number };
  readonly memory?: string;
  readonly firmware?: 'efi' | 'efi-secure' | 'bios';
  readonly rootDisk?: RootDisk;
  readonly mac?: string;
  readonly uuid?: string;
  readonly serial?: string;
  /** An empty sata CD-ROM drive for declarative media insertion (needs the hotplug gate). */
  readonly cdrom?: boolean;
  /** A DataVolume inserted in that drive (a hotpluggable volume, swappable on a running VM). */
  readonly cdromMedia?: string;
  readonly terminationGracePeriodSeconds?: number;
}

const rootDiskName = (vm: VmBlueprint): string => `${vm.name.replaceAll('.', '-')}-rootdisk`;

const rootVolume = (vm: VmBlueprint, disk: RootDisk) =>
  disk.kind === 'pvc'
    ? { name: 'rootdisk', persistentVolumeClaim: { claimName: rootDiskName(vm) } }
    : { name: 'rootdisk', dataVolume: { name: rootDiskName(vm) } };

const dataVolumeSpec = (disk: RootDisk & { kind: 'dataVolume' }): Record<string, unknown> => ({
  source:
    disk.source === 'http'
      ? {
          http: {
            url: 'https://cloud.centos.org/centos/9-stream/x86_64/images/CentOS-Stream-GenericCloud-9-latest.x86_64.qcow2',
          },
        }
      : { registry: { url: 'docker://quay.io/containerdisks/fedora:41' } },
  storage: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: disk.size } },
    storageClassName: 'standard',
  },
});

/** A VirtualMachine manifest as a user would write it. */
export const virtualMachine = (vm: VmBlueprint): KubeObject => {
  const disk = vm.rootDisk ?? { kind: 'pvc', size: '20Gi' };
  const firmware = vm.firmware ?? 'efi';
  const spec: VmiSpec = {
    domain: {
      cpu: vm.cpu ?? { sockets: 1, cores: 2, threads: 1 },
      memory: { guest: vm.memory ?? '2Gi' },
      resources: { requests: { memory: vm.memory ?? '2Gi' } },
      firmware: {
        ...(vm.uuid ? { uuid: vm.uuid } : {}),
        ...(vm.serial ? { serial: vm.serial } : {}),
        ...(firmware === 'bios'
          ? { bootloader: { bios: {} } }
          : { bootloader: { efi: { secureBoot: firmware === 'efi-secure' } } }),
      },
      ...(firmware === 'efi-secure' ? { features: { smm: { enabled: true } } } : {}),
      devices: {
        disks: [
          { name: 'rootdisk', bootOrder: 1, disk: { bus: 'virtio' } },
          ...(vm.cdrom
            ? [{ name: 'cdrom', bootOrder: 2, cdrom: { bus: 'sata', readonly: true } }]
            : []),
        ],
        interfaces: [
          {
            name: 'default',
            model: 'virtio',
            masquerade: {},
            ...(vm.mac ? { macAddress: vm.mac } : {}),
          },
        ],
      },
    },
    networks: [{ name: 'default', pod: {} }],
    volumes: [
      rootVolume(vm, disk),
      ...(vm.cdrom && vm.cdromMedia
        ? [{ name: 'cdrom', dataVolume: { name: vm.cdromMedia, hotpluggable: true } }]
        : []),
    ],
    terminationGracePeriodSeconds: vm.terminationGracePeriodSeconds ?? 180,
  };
  const dataVolumeTemplates: DataVolumeTemplate[] =
    disk.kind === 'dataVolume'
      ? [{ metadata: { name: rootDiskName(vm) }, spec: dataVolumeSpec(disk) }]
      : [];
  const labels = {
    app: vm.name.split('.')[0] ?? vm.name,
    ...(vm.labelled === false ? {} : { [redfishLabel]: 'true' }),
  };
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: vm.name, namespace: vm.namespace, labels },
    spec: {
      runStrategy: vm.runStrategy ?? 'Halted',
      ...(dataVolumeTemplates.length ? { dataVolumeTemplates } : {}),
      template: { metadata: { labels: { 'kubevirt.io/domain': vm.name } }, spec },
    },
  };
};

const boundPvc = (
  namespace: string,
  name: string,
  size: string,
  owner?: KubeObject,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name,
    namespace,
    ...(owner
      ? {
          ownerReferences: [
            {
              apiVersion: owner.apiVersion,
              kind: owner.kind,
              name,
              uid: owner.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        }
      : {}),
  },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: size } },
    storageClassName: 'standard',
    volumeMode: 'Filesystem',
  },
  status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: size } },
});

const importedStatus = (name: string, at: string) => ({
  phase: 'Succeeded',
  progress: '100.0%',
  claimName: name,
  restartCount: 0,
  conditions: [
    {
      type: 'Bound',
      status: 'True',
      reason: 'Bound',
      message: `PVC ${name} Bound`,
      lastTransitionTime: at,
      lastHeartbeatTime: at,
    },
    { type: 'Ready', status: 'True', lastTransitionTime: at, lastHeartbeatTime: at },
    {
      type: 'Running',
      status: 'False',
      reason: 'Completed',
      message: 'Import Complete',
      lastTransitionTime: at,
      lastHeartbeatTime: at,
    },
  ],
});

const ensureNamespace = (store: ObjectStore, name: string): void => {
  if (!store.get(Keys.namespace, undefined, name))
    store.create(Keys.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
};

/** Creates the VM and the storage it needs, as it would look after its disk was imported:
 *  a Succeeded DataVolume (owned by the VM) with its bound PVC, or a bound PVC. A
 *  RerunOnFailure VM is recorded as having run and shut down cleanly, so it stays off. */
export const createVm = (store: ObjectStore, blueprint: VmBlueprint): KubeObject => {
  ensureNamespace(store, blueprint.namespace);
  const vm = store.create(Keys.vm, virtualMachine(blueprint));
  const disk = blueprint.rootDisk ?? { kind: 'pvc', size: '20Gi' };
  const name = rootDiskName(blueprint);
  if (disk.kind === 'dataVolume') {
    const template = (vm.spec as { dataVolumeTemplates: DataVolumeTemplate[] })
      .dataVolumeTemplates[0];
    const dv = store.create(Keys.dv, {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name,
        namespace: blueprint.namespace,
        ownerReferences: [
          {
            apiVersion: 'kubevirt.io/v1',
            kind: 'VirtualMachine',
            name: blueprint.name,
            uid: vm.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: template?.spec ?? {},
    });
    const at = dv.metadata.creationTimestamp ?? '';
    store.mutate(
      Keys.dv,
      blueprint.namespace,
      name,
      (d) => void (d.status = importedStatus(name, at)),
      { subresource: 'status' },
    );
    store.create(Keys.pvc, boundPvc(blueprint.namespace, name, disk.size, dv));
  } else {
    store.create(Keys.pvc, boundPvc(blueprint.namespace, name, disk.size));
  }
  if (blueprint.runStrategy === 'RerunOnFailure')
    store.mutate(
      Keys.vm,
      blueprint.namespace,
      blueprint.name,
      (d) => void (d.status = { runStrategy: 'RerunOnFailure' }),
      {
        subresource: 'status',
      },
    );
  return store.get(Keys.vm, blueprint.namespace, blueprint.name) ?? vm;
};

/** The fixed demo set: every firmware, disk and strategy kind once, one VM running, one VM per
 *  namespace without the Redfish label, and a name with a dot. */
const demoBlueprints: readonly Omit<VmBlueprint, 'uuid' | 'serial' | 'mac'>[] = [
  {
    namespace: 'demo-a',
    name: 'web.frontend',
    runStrategy: 'Always',
    rootDisk: { kind: 'dataVolume', source: 'http', size: '30Gi' },
    cdrom: true,
    cpu: { sockets: 1, cores: 2, threads: 2 },
    memory: '4Gi',
  },
  {
    namespace: 'demo-a',
    name: 'db-primary',
    runStrategy: 'Manual',
    rootDisk: { kind: 'pvc', size: '100Gi' },
    cdrom: true,
    cpu: { sockets: 2, cores: 4, threads: 1 },
    memory: '16Gi',
    firmware: 'efi-secure',
  },
  {
    namespace: 'demo-a',
    name: 'build-runner',
    runStrategy: 'RerunOnFailure',
    rootDisk: { kind: 'dataVolume', source: 'registry', size: '40Gi' },
    cdrom: true,
  },
  {
    namespace: 'demo-a',
    name: 'legacy-bios',
    runStrategy: 'Halted',
    rootDisk: { kind: 'pvc', size: '20Gi' },
    firmware: 'bios',
    cdrom: true,
    memory: '1Gi',
    cpu: { sockets: 1, cores: 1, threads: 1 },
  },
  { namespace: 'demo-a', name: 'scratch', runStrategy: 'Halted', labelled: false },
  {
    namespace: 'demo-b',
    name: 'app-server-1',
    runStrategy: 'Manual',
    rootDisk: { kind: 'dataVolume', source: 'http', size: '30Gi' },
    cdrom: true,
  },
  {
    namespace: 'demo-b',
    name: 'app-server-2',
    runStrategy: 'Halted',
    rootDisk: { kind: 'dataVolume', source: 'http', size: '30Gi' },
    cdrom: true,
  },
  {
    namespace: 'demo-b',
    name: 'monitoring',
    runStrategy: 'Halted',
    rootDisk: { kind: 'pvc', size: '50Gi' },
    cdrom: true,
    memory: '8Gi',
  },
  { namespace: 'demo-b', name: 'unmanaged', runStrategy: 'Manual', labelled: false },
];

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

const macFrom = (random: () => number): string =>
  [
    '52',
    '54',
    '00',
    ...Array.from({ length: 3 }, () =>
      Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ),
  ].join(':');

const generatedStrategies = [
  ...Array<string>(11).fill('Halted'),
  ...Array<string>(7).fill('Manual'),
  'RerunOnFailure',
  'Always',
] as const;

/** Seeds the store (which must be empty of these names) and returns the VMs created. */
export const seedScenario = (store: ObjectStore, options: ScenarioOptions): KubeObject[] => {
  const random = seededRandom(options.seed);
  const identity = () => ({
    uuid: randomUuid(random),
    serial: randomUuid(random),
    mac: macFrom(random),
  });
  const cdrom = (wanted: boolean | undefined): { cdrom: boolean } => ({
    cdrom: options.emptyCdrom === true && wanted === true,
  });
  const created = demoBlueprints.map((blueprint) =>
    createVm(store, { ...blueprint, ...cdrom(blueprint.cdrom), ...identity() }),
  );
  const namespaces = options.namespaces ?? ['demo-a', 'demo-b'];
  const roles = ['web', 'api', 'db', 'cache', 'worker', 'batch', 'ci', 'mq'];
  for (let index = 0; index < options.vms; index++) {
    const sockets = pick(random, [1, 1, 2]);
    const source = pick(random, ['http', 'registry', 'pvc'] as const);
    created.push(
      createVm(store, {
        namespace: namespaces[index % namespaces.length] ?? 'demo-a',
        name: `${pick(random, roles)}-${String(index + 1).padStart(4, '0')}`,
        runStrategy: pick(random, generatedStrategies),
        labelled: random() < 0.9,
        cpu: { sockets, cores: pick(random, [1, 2, 4]), threads: pick(random, [1, 1, 2]) },
        memory: pick(random, ['1Gi', '2Gi', '4Gi', '8Gi', '16Gi']),
        firmware: random() < 0.85 ? 'efi' : 'bios',
        rootDisk:
          source === 'pvc'
            ? { kind: 'pvc', size: pick(random, ['20Gi', '50Gi']) }
            : { kind: 'dataVolume', source, size: pick(random, ['20Gi', '30Gi', '40Gi']) },
        ...cdrom(random() < 0.5),
        ...identity(),
      }),
    );
  }
  return created;
};
