// What virt-handler reports about a running guest: node, interfaces with MACs and IPs, CPU and
// memory, volume targets and guest OS info (fidelity 1.6 "Useful VMI status fields").
import { createHash } from 'node:crypto';
import type { KubeObject } from '../types.ts';
import { isIsoVolume, isoImageBytes } from './iso-volumes.ts';
import { isHotpluggable, vmiSpecOf, type VmiSpec, type VolumeStatus } from './kubevirt-objects.ts';

export const simulatedNode = 'sim-node-1';

const digest = (...parts: string[]): Buffer =>
  createHash('sha256').update(parts.join('/')).digest();

/** A locally administered unicast MAC, stable for one VMI and interface (what the pod network
 *  hands out when the template has no macAddress). */
const generatedMac = (vmiUid: string, iface: string): string => {
  const bytes = digest(vmiUid, iface);
  return ['02', ...[0, 1, 2, 3, 4].map((i) => (bytes[i] ?? 0).toString(16).padStart(2, '0'))].join(
    ':',
  );
};

const podIp = (vmiUid: string): string => {
  const bytes = digest(vmiUid, 'ip');
  return `10.244.${(bytes[0] ?? 0) % 255}.${((bytes[1] ?? 0) % 253) + 2}`;
};

/** Device names libvirt assigns: vdX for virtio, sdX for sata/scsi/usb, in disk order. */
export const diskTargets = (spec: VmiSpec): Map<string, string> => {
  const targets = new Map<string, string>();
  let virtio = 0;
  let scsi = 0;
  for (const disk of spec.domain.devices.disks ?? []) {
    const bus = disk.disk?.bus ?? disk.cdrom?.bus ?? disk.lun?.bus ?? 'virtio';
    const letter = (n: number): string => String.fromCharCode(97 + n);
    targets.set(disk.name, bus === 'virtio' ? `vd${letter(virtio++)}` : `sd${letter(scsi++)}`);
  }
  return targets;
};

/** volumeStatus entries of the volumes attached at boot (hotplugged ones are tracked by the
 *  hotplug steps), with the size of the ISO files virt-handler stats (iso-volumes.ts). */
const bootVolumeStatus = (spec: VmiSpec): VolumeStatus[] => {
  const targets = diskTargets(spec);
  return (spec.volumes ?? [])
    .filter((v) => !isHotpluggable(v))
    .map((v) => {
      const claimName = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name;
      const status: VolumeStatus = { name: v.name, target: targets.get(v.name) ?? '' };
      if (claimName) status.persistentVolumeClaimInfo = { claimName, volumeMode: 'Filesystem' };
      if (isIsoVolume(v)) status.size = isoImageBytes(v);
      return status;
    });
};

const cpuTopology = (spec: VmiSpec) => ({
  sockets: spec.domain.cpu?.sockets ?? 1,
  cores: spec.domain.cpu?.cores ?? 1,
  threads: spec.domain.cpu?.threads ?? 1,
});

const guestMemory = (spec: VmiSpec): string =>
  spec.domain.memory?.guest ??
  spec.domain.resources?.requests?.memory ??
  spec.domain.resources?.limits?.memory ??
  '';

/** The status fields that appear when the domain starts running. */
export const runningStatusFields = (vmi: KubeObject): Record<string, unknown> => {
  const spec = vmiSpecOf(vmi);
  const uid = vmi.metadata.uid ?? '';
  const ip = podIp(uid);
  const memory = guestMemory(spec);
  return {
    nodeName: simulatedNode,
    interfaces: (spec.domain.devices.interfaces ?? []).map((iface, index) => ({
      name: iface.name,
      mac: (iface.macAddress ?? generatedMac(uid, iface.name)).toLowerCase().replaceAll('-', ':'),
      interfaceName: `eth${index}`,
      infoSource: 'domain, guest-agent',
      linkState: 'up',
      queueCount: 1,
      ...(index === 0 ? { ipAddress: ip, ipAddresses: [ip] } : {}),
    })),
    currentCPUTopology: cpuTopology(spec),
    ...(memory
      ? { memory: { guestAtBoot: memory, guestCurrent: memory, guestRequested: memory } }
      : {}),
    machine: { type: 'pc-q35-rhel9.6.0' },
    volumeStatus: bootVolumeStatus(spec),
    qosClass: 'Burstable',
    migrationMethod: 'BlockMigration',
  };
};

/** What the guest agent reports once connected. */
export const guestOsInfo = {
  id: 'fedora',
  name: 'Fedora Linux',
  prettyName: 'Fedora Linux 41 (Cloud Edition)',
  version: '41 (Cloud Edition)',
  versionId: '41',
  kernelRelease: '6.11.4-301.fc41.x86_64',
  kernelVersion: '#1 SMP PREEMPT_DYNAMIC Sun Oct 20 15:02:33 UTC 2024',
  machine: 'x86_64',
};
