// The storage a simulated cluster offers: StorageClasses (cluster-scoped, one marked default by
// the Kubernetes annotation) and, where CDI is installed, the StorageProfile CDI keeps for each
// class (status.claimPropertySets from CDI's table of known provisioners; none for a provisioner
// CDI does not know). A storage scenario picks the reality a run reproduces: the usual classes,
// none at all, profiles CDI cannot complete a claim from, or WaitForFirstConsumer binding.
import { TypeKeys } from './resource-types.ts';
import type { KubeObject, ObjectStore } from './types.ts';

export const StorageScenarios = [
  'standard',
  'none',
  'incomplete-profile',
  'wait-for-first-consumer',
] as const;
export type StorageScenario = (typeof StorageScenarios)[number];

/** Kubernetes' default-class marker (CDI also honours storageclass.kubevirt.io/...). */
export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
export const defaultVirtClassAnnotation = 'storageclass.kubevirt.io/is-default-virt-class';

/** A CSI driver (CDI imports through its volume populators on CSI classes). */
const csiProvisioner = 'kubevirt.io.hostpath-provisioner';
/** A provisioner missing from CDI's capabilities table: its profile stays empty. */
const unknownProvisioner = 'example.com/nfs-subdir-provisioner';

/** Provisioners backed by a CSI driver (CDI: storageClassCSIDriverExists). */
export const isCsiProvisioner = (provisioner: unknown): boolean => provisioner === csiProvisioner;

interface ClassSeed {
  readonly name: string;
  readonly isDefault: boolean;
  readonly provisioner: string;
  readonly bindingMode: 'Immediate' | 'WaitForFirstConsumer';
}

/** `standard` (the default class) and `fast`, as the scenario has them. */
const classesOf = (scenario: StorageScenario): readonly ClassSeed[] => {
  if (scenario === 'none') return [];
  const provisioner = scenario === 'incomplete-profile' ? unknownProvisioner : csiProvisioner;
  const bindingMode = scenario === 'wait-for-first-consumer' ? 'WaitForFirstConsumer' : 'Immediate';
  return [
    { name: 'standard', isDefault: true, provisioner, bindingMode },
    { name: 'fast', isDefault: false, provisioner, bindingMode },
  ];
};

const storageClass = (seed: ClassSeed): KubeObject => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: {
    name: seed.name,
    ...(seed.isDefault ? { annotations: { [defaultClassAnnotation]: 'true' } } : {}),
  },
  provisioner: seed.provisioner,
  reclaimPolicy: 'Delete',
  volumeBindingMode: seed.bindingMode,
  allowVolumeExpansion: true,
});

/** The profile CDI's storage-profile controller writes for a class. */
const storageProfile = (seed: Pick<ClassSeed, 'name' | 'provisioner'>): KubeObject => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'StorageProfile',
  metadata: { name: seed.name },
  spec: {},
  status: {
    storageClass: seed.name,
    provisioner: seed.provisioner,
    ...(isCsiProvisioner(seed.provisioner)
      ? {
          cloneStrategy: 'csi-clone',
          dataImportCronSourceFormat: 'pvc',
          claimPropertySets: [
            { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' },
            { accessModes: ['ReadWriteOnce'], volumeMode: 'Block' },
          ],
        }
      : {}),
  },
});

/** Creates the scenario's StorageClasses and, with CDI, their StorageProfiles. */
export const seedStorage = (store: ObjectStore, scenario: StorageScenario, cdi: boolean): void => {
  for (const seed of classesOf(scenario)) {
    store.create(TypeKeys.storageClasses, storageClass(seed));
    if (cdi) store.create(TypeKeys.storageProfiles, storageProfile(seed));
  }
};

/** The profiles CDI makes for every class when it is installed later. */
export const seedStorageProfiles = (store: ObjectStore): void => {
  for (const sc of store.list(TypeKeys.storageClasses).items) {
    const name = sc.metadata.name ?? '';
    if (store.get(TypeKeys.storageProfiles, undefined, name)) continue;
    store.create(
      TypeKeys.storageProfiles,
      storageProfile({
        name,
        provisioner: typeof sc.provisioner === 'string' ? sc.provisioner : '',
      }),
    );
  }
};

/** The class a claim without a class name gets: the newest default (CDI prefers the KubeVirt
 *  default-virt class for disk images), as CDI's getFallbackStorageClass picks it. */
export const defaultStorageClass = (store: ObjectStore): KubeObject | undefined => {
  const classes = store.list(TypeKeys.storageClasses).items;
  const newest = (annotation: string) =>
    classes
      .filter((c) => c.metadata.annotations?.[annotation] === 'true')
      .sort(
        (a, b) =>
          (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
          (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
      )[0];
  return newest(defaultVirtClassAnnotation) ?? newest(defaultClassAnnotation);
};
