// Declarative volume hotplug (DeclarativeHotplugVolumes, fidelity section 4): the VMI's
// hotpluggable volumes follow the VM template, and each one's volumeStatus walks
// Pending -> Bound -> AttachedToNode -> MountedToPod -> Ready (unplug: Detaching ->
// UnMountedFromPod -> gone). CD-ROM disks stay in place so media can be swapped.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  isHotpluggable,
  type Disk,
  type VmiSpec,
  type Volume,
  type VolumeStatus,
} from './kubevirt-objects.ts';
import { diskTargets } from './vmi-status.ts';

const sourceName = (volume: Volume): string | undefined =>
  volume.dataVolume?.name ?? volume.persistentVolumeClaim?.claimName;

/** The VMI volumes and disks after applying the template's hotpluggable volumes, or undefined
 *  when the VMI already matches. */
export const hotplugTarget = (
  template: VmiSpec,
  vmiSpec: VmiSpec,
): { volumes: Volume[]; disks: Disk[] } | undefined => {
  const desired = (template.volumes ?? []).filter(isHotpluggable);
  const desiredByName = new Map(desired.map((v) => [v.name, v]));
  const current = vmiSpec.volumes ?? [];
  const volumes: Volume[] = [];
  for (const volume of current) {
    if (!isHotpluggable(volume)) volumes.push(volume);
    else if (desiredByName.has(volume.name)) volumes.push(desiredByName.get(volume.name) as Volume);
  }
  for (const volume of desired)
    if (!current.some((v) => v.name === volume.name)) volumes.push(volume);

  const removed = new Set(
    current.filter((v) => isHotpluggable(v) && !desiredByName.has(v.name)).map((v) => v.name),
  );
  const currentDisks = vmiSpec.domain.devices.disks ?? [];
  const disks = currentDisks.filter((d) => !(removed.has(d.name) && d.cdrom === undefined));
  for (const volume of desired) {
    if (disks.some((d) => d.name === volume.name)) continue;
    const disk = template.domain.devices.disks?.find((d) => d.name === volume.name);
    if (disk) disks.push(disk);
  }
  if (isDeepStrictEqual(volumes, current) && isDeepStrictEqual(disks, currentDisks))
    return undefined;
  return { volumes, disks };
};

const hotplugPhases = ['Pending', 'Bound', 'AttachedToNode', 'MountedToPod', 'Ready'] as const;

const attachPod = (vmiUid: string, volume: string) => {
  const hash = createHash('sha256').update(`${vmiUid}/${volume}`).digest('hex');
  return {
    attachPodName: `hp-volume-${hash.slice(0, 5)}`,
    attachPodUID: `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`,
  };
};

const entryFor = (volume: Volume, target: string, phase: string, vmiUid: string): VolumeStatus => {
  const entry: VolumeStatus = {
    name: volume.name,
    target,
    phase,
    reason: phase === 'Ready' ? 'VolumeReady' : phase,
    message:
      phase === 'Ready'
        ? `Successfully attach hotplugged volume ${volume.name} to VM`
        : `Volume ${volume.name} is ${phase === 'Pending' ? 'waiting for its source' : phase}`,
    hotplugVolume: attachPod(vmiUid, volume.name),
  };
  const claimName = sourceName(volume);
  if (claimName) entry.persistentVolumeClaimInfo = { claimName, volumeMode: 'Filesystem' };
  return entry;
};

/** Advances every hotplug volumeStatus entry by one phase; `sourceReady` says whether a volume's
 *  DataVolume/PVC is usable (a volume stays Pending until it is). Undefined when nothing moves. */
export const stepHotplugStatus = (
  vmiSpec: VmiSpec,
  statuses: readonly VolumeStatus[],
  vmiUid: string,
  sourceReady: (volume: Volume) => boolean,
): VolumeStatus[] | undefined => {
  const targets = diskTargets(vmiSpec);
  const hotplugged = (vmiSpec.volumes ?? []).filter(isHotpluggable);
  const next: VolumeStatus[] = [];
  for (const status of statuses) {
    const volume = hotplugged.find((v) => v.name === status.name);
    const isHotplugEntry = status.hotplugVolume !== undefined;
    if (!isHotplugEntry) {
      next.push(status);
      continue;
    }
    const swapped = volume && status.persistentVolumeClaimInfo?.claimName !== sourceName(volume);
    if (!volume || swapped) {
      // Unplug (or the first half of a swap, which KubeVirt does as remove + add).
      if (status.phase === 'Detaching')
        next.push({ ...status, phase: 'UnMountedFromPod', reason: 'UnMountedFromPod' });
      else if (status.phase !== 'UnMountedFromPod')
        next.push({
          ...status,
          phase: 'Detaching',
          reason: 'Detaching',
          message: `Detaching volume ${status.name}`,
        });
      continue;
    }
    const index = hotplugPhases.indexOf(status.phase as (typeof hotplugPhases)[number]);
    const blocked = status.phase === 'Pending' && !sourceReady(volume);
    const phase =
      index < 0 || blocked ? (status.phase ?? 'Pending') : hotplugPhases[Math.min(index + 1, 4)];
    next.push(entryFor(volume, targets.get(volume.name) ?? '', phase ?? 'Pending', vmiUid));
  }
  for (const volume of hotplugged) {
    if (!next.some((s) => s.name === volume.name))
      next.push(entryFor(volume, targets.get(volume.name) ?? '', 'Pending', vmiUid));
  }
  return isDeepStrictEqual(next, statuses) ? undefined : next;
};
