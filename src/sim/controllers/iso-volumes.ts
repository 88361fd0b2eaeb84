// The volumes virt-launcher writes as ISO images when the guest starts (cloud-init NoCloud and
// ConfigDrive, configMap, secret, downwardAPI, serviceAccount, sysprep) and the size of those
// files, which virt-handler reports as volumeStatus[].size while the VMI runs (KubeVirt
// pkg/virt-handler/vm.go updateIsoSizeStatus, since v0.47; it stats only these paths, so a
// containerDisk, a PVC or an emptyDisk never gets a size there).
import type { Volume } from './kubevirt-objects.ts';

const isoSources = [
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'configMap',
  'secret',
  'downwardAPI',
  'serviceAccount',
  'sysprep',
] as const;

export const isIsoVolume = (volume: Volume): boolean =>
  isoSources.some((source) => volume[source] !== undefined);

/** xorrisofs -partition_cyl_align on (pkg/cloud-init, pkg/config) pads the image to whole
 *  cylinders of 64 heads x 32 sectors x 512 bytes. */
const cylinder = 1024 * 1024;
/** The 32 KiB system area, volume descriptors, ISO and Joliet path tables and directories, and
 *  the 300 KiB xorriso appends by default: what an image of a few small files needs besides
 *  their data. */
const isoOverhead = 32 * 1024 + 64 * 2048 + 300 * 1024;
const sector = 2048;

/** The bytes of the data written from the volume's inline fields (userData, networkData,
 *  their Base64 forms decoded); data from a Secret or ConfigMap counts as none, being a few
 *  bytes beside the overhead. */
const inlineBytes = (source: unknown): number => {
  if (typeof source !== 'object' || source === null) return 0;
  let bytes = 0;
  for (const [key, value] of Object.entries(source)) {
    if (typeof value !== 'string') continue;
    bytes += key.endsWith('Base64')
      ? Buffer.from(value, 'base64').length
      : Buffer.byteLength(value);
  }
  return bytes;
};

/** The size of the ISO file virt-launcher makes for `volume`: 1 MiB for any usual cloud-init
 *  or config volume, more only for data past the first cylinder. */
export const isoImageBytes = (volume: Volume): number => {
  const data = isoSources.reduce((sum, source) => sum + inlineBytes(volume[source]), 0);
  const unpadded = isoOverhead + Math.ceil(data / sector) * sector;
  return Math.ceil(unpadded / cylinder) * cylinder;
};
