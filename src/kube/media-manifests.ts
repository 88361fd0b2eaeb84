// The objects and patches virtual media writes: the CDI DataVolume that imports the image, the
// Secret with its credentials, and the VM merge patches that attach or detach the CD-ROM.
import type { DataVolume, Disk, VirtualMachine, Volume } from './types.ts';
import { VirtualMediaDisk } from './types.ts';
import { MediaAnnotations, MediaLabels, mediaSecretName } from './media-naming.ts';
import { managedByValue } from './ownership.ts';
import { redactUrl } from '../observability/logger.ts';

/** Where images are imported (config `datavolume.*`). */
export interface MediaStorageConfig {
  /** StorageClass of the image PVC; empty or absent means the cluster default. */
  readonly storageClass?: string;
  /** Requested size, a Kubernetes quantity such as "3Gi". */
  readonly size: string;
  /** ConfigMap with the CA bundle CDI uses for https sources. */
  readonly certConfigMap?: string;
  /** Lets CDI skip TLS verification for https sources. */
  readonly insecureSkipVerify?: boolean;
  /** datavolume.iso_download_timeout: an import not done by then counts as failed. */
  readonly importTimeoutMs?: number;
  /** datavolume.vm_update_timeout: a running VM not attaching the imported media by then
   *  counts as failed. */
  readonly attachTimeoutMs?: number;
}

interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: boolean;
  readonly blockOwnerDeletion: boolean;
}

export interface OwnedBy {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

/**
 * Owned by the VM so Kubernetes garbage-collects it with the VM, but not as its controller:
 * virt-controller treats DataVolumes it controls as its own dataVolumeTemplates, and
 * blockOwnerDeletion would need update rights on the VM's finalizers.
 */
const ownerReference = (vm: OwnedBy): OwnerReference => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  name: vm.name,
  uid: vm.uid,
  controller: false,
  blockOwnerDeletion: false,
});

const mediaLabels = (vm: OwnedBy): Record<string, string> => ({
  [MediaLabels.managedBy]: managedByValue,
  [MediaLabels.vmUid]: vm.uid,
});

export interface DataVolumeInput {
  readonly name: string;
  readonly vm: OwnedBy;
  /** The URL CDI fetches; never carries userinfo. */
  readonly url: string;
  readonly withCredentials: boolean;
  readonly storage: MediaStorageConfig;
  readonly insertedAt: string;
  readonly insertedBy: string;
  readonly writeProtected: boolean;
}

export type DataVolumeManifest = Omit<DataVolume, 'metadata' | 'spec'> & {
  apiVersion: string;
  kind: string;
  metadata: Omit<DataVolume['metadata'], 'ownerReferences'> & { ownerReferences: OwnerReference[] };
  spec: Record<string, unknown>;
};

export const buildMediaDataVolume = (input: DataVolumeInput): DataVolumeManifest => {
  const { storage } = input;
  const http: Record<string, unknown> = { url: input.url };
  if (input.withCredentials) http.secretRef = mediaSecretName(input.name);
  if (storage.certConfigMap) http.certConfigMap = storage.certConfigMap;
  if (storage.insecureSkipVerify === true && input.url.startsWith('https:'))
    http.insecureSkipVerify = true;
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: {
      name: input.name,
      namespace: input.vm.namespace,
      labels: mediaLabels(input.vm),
      annotations: {
        // For people reading the object; the query may be a pre-signed credential, so only
        // spec.source.http.url (which CDI must read) carries it whole.
        [MediaAnnotations.image]: redactUrl(input.url),
        [MediaAnnotations.insertedAt]: input.insertedAt,
        [MediaAnnotations.insertedBy]: input.insertedBy,
        [MediaAnnotations.writeProtected]: String(input.writeProtected),
        [MediaAnnotations.immediateBind]: 'true',
      },
      ownerReferences: [ownerReference(input.vm)],
    },
    spec: {
      // contentType kubevirt (the default) writes an ISO as a raw image: what a CD-ROM reads.
      source: { http },
      storage: {
        resources: { requests: { storage: storage.size } },
        ...(storage.storageClass ? { storageClassName: storage.storageClass } : {}),
      },
    },
  };
};

/** The Secret CDI reads for an http source: keys accessKeyId / secretKey (CDI's contract). */
export const buildMediaSecret = (input: {
  readonly dataVolumeName: string;
  readonly vm: OwnedBy;
  readonly username: string;
  readonly password: string;
}) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'Opaque',
  metadata: {
    name: mediaSecretName(input.dataVolumeName),
    namespace: input.vm.namespace,
    labels: mediaLabels(input.vm),
    ownerReferences: [ownerReference(input.vm)],
  },
  data: {
    accessKeyId: Buffer.from(input.username, 'utf8').toString('base64'),
    secretKey: Buffer.from(input.password, 'utf8').toString('base64'),
  },
});

/** A JSON merge patch of the VM's disks and volumes. It replaces both lists whole, so it is
 *  only ever sent with the resourceVersion it was computed from (vm-patch.ts adds it; the API
 *  server answers 409 if the VM changed meanwhile, so no concurrent edit is lost). */
export type VmMediaPatch = {
  spec: {
    template: {
      spec: { domain: { devices: { disks: Disk[] } }; volumes: Volume[] };
    };
  };
};

const disksOf = (vm: VirtualMachine): Disk[] =>
  vm.spec.template?.spec?.domain?.devices?.disks ?? [];
const volumesOf = (vm: VirtualMachine): Volume[] => vm.spec.template?.spec?.volumes ?? [];

const patchOf = (disks: Disk[], volumes: Volume[]): VmMediaPatch => ({
  spec: { template: { spec: { domain: { devices: { disks } }, volumes } } },
});

/** The volume the dedicated CD-ROM currently has, if any. */
export const mediaVolumeOf = (vm: VirtualMachine): Volume | undefined =>
  volumesOf(vm).find((volume) => volume.name === VirtualMediaDisk);

export const hasMediaDisk = (disks: readonly Disk[] | undefined): boolean =>
  (disks ?? []).some((disk) => disk.name === VirtualMediaDisk);

/**
 * Attaches DataVolume `dataVolumeName` to the dedicated CD-ROM. The disk is added (SATA: the
 * only bus KubeVirt can hot-plug a CD-ROM on) only when missing, so a boot order set on it is
 * kept; the VM's own disks and volumes are copied unchanged.
 */
export const attachMediaPatch = (
  vm: VirtualMachine,
  dataVolumeName: string,
  hotpluggable: boolean,
): VmMediaPatch => {
  const disks = disksOf(vm);
  const cdrom: Disk = { name: VirtualMediaDisk, cdrom: { bus: 'sata', readonly: true } };
  const volume: Volume = {
    name: VirtualMediaDisk,
    dataVolume: hotpluggable
      ? { name: dataVolumeName, hotpluggable: true }
      : { name: dataVolumeName },
  };
  return patchOf(hasMediaDisk(disks) ? disks : [...disks, cdrom], [
    ...volumesOf(vm).filter((v) => v.name !== VirtualMediaDisk),
    volume,
  ]);
};

/**
 * Detaches the CD-ROM's volume. With declarative hotplug an empty CD-ROM drive is valid and
 * must be present from boot for later hot inserts, so the disk stays; without it KubeVirt
 * rejects a disk without a volume, so the disk goes too. Undefined when nothing changes.
 */
export const detachMediaPatch = (
  vm: VirtualMachine,
  keepDisk: boolean,
): VmMediaPatch | undefined => {
  const disks = disksOf(vm);
  const volumes = volumesOf(vm);
  const nextVolumes = volumes.filter((v) => v.name !== VirtualMediaDisk);
  const nextDisks = keepDisk ? disks : disks.filter((d) => d.name !== VirtualMediaDisk);
  if (nextVolumes.length === volumes.length && nextDisks.length === disks.length) return undefined;
  return patchOf(nextDisks, nextVolumes);
};
