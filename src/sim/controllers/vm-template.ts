// How a VMI spec is derived from a VM template (defaults virt-controller applies), and whether
// the template changed since the VMI was created in a way that needs a restart.
import { isDeepStrictEqual } from 'node:util';
import { uuidV5 } from '../../util/uuid.ts';
import type { KubeObject } from '../types.ts';
import { isHotpluggable, templateSpecOf, vmiSpecOf, type VmiSpec } from './kubevirt-objects.ts';

/** KubeVirt's namespace for legacy firmware UUIDs (kubevirt-facts.json firmware). */
const legacyUuidNamespace = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';

/** The legacy name-derived firmware UUID, as virt-controller computes it (uuid.NewSHA1). */
export const legacyFirmwareUuid = (name: string): string => uuidV5(legacyUuidNamespace, name);

/** The VMI spec virt-controller creates: the template with defaults (a VM without a firmware
 *  UUID gets the legacy name-derived one, so it is stable across restarts). */
export const vmiSpecFromTemplate = (vm: KubeObject): VmiSpec => {
  const spec = structuredClone(templateSpecOf(vm));
  const firmware = spec.domain.firmware ?? {};
  if (!firmware.uuid)
    spec.domain.firmware = { ...firmware, uuid: legacyFirmwareUuid(vm.metadata.name ?? '') };
  return spec;
};

const hotplugNames = (spec: VmiSpec): string[] =>
  (spec.volumes ?? []).filter(isHotpluggable).map((v) => v.name);

/** The part of a spec a restart would change: without the fields virt-api or virt-controller
 *  change on a live VMI (grace period, start strategy) and, when volumes hotplug live, without
 *  hotpluggable volumes and their disks (validLiveUpdateVolumes/Disks in vm.go). */
const restartRelevant = (spec: VmiSpec, liveHotplug: ReadonlySet<string> | undefined): VmiSpec => {
  const copy = structuredClone(spec);
  delete copy.terminationGracePeriodSeconds;
  delete copy.startStrategy;
  if (liveHotplug) {
    copy.volumes = (copy.volumes ?? []).filter((v) => !liveHotplug.has(v.name));
    copy.domain.devices.disks = (copy.domain.devices.disks ?? []).filter(
      (d) => !liveHotplug.has(d.name),
    );
  }
  return copy;
};

/** True when the VM template differs from what the running VMI was created from in a field
 *  that cannot change live ("a non-live-updatable field was changed in the template spec"). */
export const restartRequired = (vm: KubeObject, vmi: KubeObject, liveHotplug: boolean): boolean => {
  const template = vmiSpecFromTemplate(vm);
  const running = vmiSpecOf(vmi);
  const hot = liveHotplug
    ? new Set([...hotplugNames(template), ...hotplugNames(running)])
    : undefined;
  return !isDeepStrictEqual(restartRelevant(template, hot), restartRelevant(running, hot));
};
