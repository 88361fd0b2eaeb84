// The size of each VM disk as the cluster states it, never a guess: the claim's capacity for a
// PVC or DataVolume, an emptyDisk's capacity, or the size virt-handler measured on the running
// instance. A disk none of these sizes (a containerDisk, whose image KubeVirt never measures;
// a cloud-init disk while the VM is off, when its ISO does not exist yet) has no size.
import { parseQuantity } from './quantity.ts';
import type { DataVolume, PersistentVolumeClaim, VirtualMachineInstance, Volume } from './types.ts';

export interface DiskSizeSources {
  readonly vmi: VirtualMachineInstance | undefined;
  readonly dataVolume: (name: string) => DataVolume | undefined;
  readonly pvc: (name: string) => PersistentVolumeClaim | undefined;
}

const claimSize = (pvc: PersistentVolumeClaim | undefined): number | undefined =>
  parseQuantity(pvc?.status?.capacity?.storage ?? pvc?.spec?.resources?.requests?.storage);

/** virt-handler's volumeStatus[].size: the bytes of the file it attaches, which it measures for
 *  the ISO images of cloud-init and config volumes (configMap, secret, downwardAPI,
 *  serviceAccount, sysprep) while the instance runs (KubeVirt updateIsoSizeStatus). */
const measuredSize = (
  vmi: VirtualMachineInstance | undefined,
  name: string,
): number | undefined => {
  if (vmi?.status?.phase !== 'Running') return undefined;
  const size = vmi.status.volumeStatus?.find((s) => s.name === name)?.size;
  return size !== undefined && size > 0 ? size : undefined;
};

export const diskSizeOf = (
  sources: DiskSizeSources,
  volume: Volume | undefined,
): number | undefined => {
  if (volume === undefined) return undefined;
  if (volume.dataVolume) {
    const dv = sources.dataVolume(volume.dataVolume.name);
    return (
      claimSize(sources.pvc(dv?.status?.claimName ?? volume.dataVolume.name)) ??
      parseQuantity(
        dv?.spec?.storage?.resources?.requests?.storage ??
          dv?.spec?.pvc?.resources?.requests?.storage,
      )
    );
  }
  if (volume.persistentVolumeClaim)
    return claimSize(sources.pvc(volume.persistentVolumeClaim.claimName));
  // KubeVirt creates a sparse image of exactly this virtual size; the guest sees it as such.
  if (volume.emptyDisk) return parseQuantity(volume.emptyDisk.capacity);
  return measuredSize(sources.vmi, volume.name);
};
