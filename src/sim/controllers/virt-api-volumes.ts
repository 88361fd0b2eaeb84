// virt-api's addvolume/removevolume verbs (pkg/virt-api/rest/volumes.go): the imperative hotplug
// API. On a VM they patch the template, which the declarative hotplug then applies to the VMI.
import { isDeepStrictEqual } from 'node:util';
import type { ClusterConfig } from '../cluster-config.ts';
import type { KubeObject, ObjectStore, SubresourceRegistry } from '../types.ts';
import {
  Keys,
  isHotpluggable,
  vmSpecOf,
  vmiSpecOf,
  vmiStatusOf,
  type Disk,
  type Volume,
} from './kubevirt-objects.ts';
import { decode, isDryRun } from './virt-api-body.ts';
import {
  badRequest,
  conflict,
  internalError,
  jsonPatchTestError,
  notFound,
  webhookDenied,
} from './virt-api-errors.ts';

const vmiNotRunning = 'VMI is not running';

interface AddVolumeOptions {
  name?: string;
  disk?: Disk;
  volumeSource?: {
    dataVolume?: { name: string; hotpluggable?: boolean };
    persistentVolumeClaim?: { claimName: string; hotpluggable?: boolean };
  };
  dryRun?: string[];
}

/** addvolume/removevolume: the imperative hotplug API. On a VM it patches the template (which
 *  the declarative handler then applies to the VMI); CD-ROMs are refused as libvirt cannot
 *  hotplug them. */
export const registerVolumeVerbs = (
  registry: SubresourceRegistry,
  store: ObjectStore,
  cluster: ClusterConfig,
): void => {
  const enabled = cluster.hotplugVolumes || cluster.declarativeHotplug;
  const sourceName = (v: Volume | AddVolumeOptions['volumeSource']): string | undefined =>
    v?.dataVolume?.name ?? v?.persistentVolumeClaim?.claimName;

  for (const target of ['virtualmachines', 'virtualmachineinstances'] as const) {
    const resource = target === 'virtualmachines' ? 'virtualmachine' : 'virtualmachineinstance';
    const key = target === 'virtualmachines' ? Keys.vm : Keys.vmi;
    const fetch = (namespace: string, name: string): KubeObject => {
      const object = store.get(key, namespace, name);
      if (!object) throw notFound(resource, name);
      if (target === 'virtualmachineinstances') {
        if (object.metadata.ownerReferences?.some((o) => o.kind === 'VirtualMachine'))
          throw badRequest(`VMI ${namespace}/${name} is owned by a VM`);
        if (vmiStatusOf(object).phase !== 'Running') throw conflict(resource, name, vmiNotRunning);
      }
      return object;
    };
    const specOf = (object: KubeObject) =>
      target === 'virtualmachines' ? vmSpecOf(object).template?.spec : vmiSpecOf(object);
    const patchVolumes = (
      object: KubeObject,
      change: (volumes: Volume[], disks: Disk[]) => void,
      dryRun: boolean,
    ): void => {
      if (dryRun) return;
      const before = specOf(object);
      store.mutate(key, object.metadata.namespace, object.metadata.name ?? '', (draft) => {
        const spec = specOf(draft);
        if (!spec) throw internalError('unable to patch: the object has no template');
        if (
          !isDeepStrictEqual(spec.volumes, before?.volumes) ||
          !isDeepStrictEqual(spec.domain.devices.disks, before?.domain.devices.disks)
        )
          throw conflict(resource, object.metadata.name ?? '', jsonPatchTestError);
        const volumes = [...(spec.volumes ?? [])];
        const disks = [...(spec.domain.devices.disks ?? [])];
        change(volumes, disks);
        spec.volumes = volumes;
        spec.domain.devices.disks = disks;
      });
    };

    registry.set(`${target}/addvolume`, ({ namespace, name, body }) => {
      if (!enabled)
        throw badRequest(
          'Unable to Add Volume because HotplugVolumes feature gate is not enabled.',
        );
      if (body === undefined)
        throw badRequest('Request with no body, a new name is expected as the request body');
      const opts = decode(body, 'AddVolumeOptions', {
        name: 'string',
        disk: 'object',
        volumeSource: 'object',
        dryRun: 'array',
      }) as AddVolumeOptions;
      if (!opts.name) throw badRequest('AddVolumeOptions requires name to be set');
      if (!opts.disk) throw badRequest('AddVolumeOptions requires disk to not be nil');
      if (!opts.volumeSource)
        throw badRequest('AddVolumeOptions requires VolumeSource to not be nil');
      const volName = opts.name;
      if (opts.disk.cdrom !== undefined)
        throw webhookDenied(
          `${resource}-validator.kubevirt.io`,
          `new hotplugged Disk ${volName} cannot have type cdrom`,
        );
      if (opts.disk.disk === undefined && opts.disk.lun === undefined)
        throw webhookDenied(
          `${resource}-validator.kubevirt.io`,
          `Disk ${volName} requires diskDevice of type 'disk' or 'lun' to be hotplugged.`,
        );
      const object = fetch(namespace, name);
      const wanted = sourceName(opts.volumeSource);
      for (const volume of specOf(object)?.volumes ?? []) {
        if (volume.name === volName)
          throw conflict(
            resource,
            name,
            `Unable to add volume [${volName}] because volume with that name already exists`,
          );
        if (wanted !== undefined && sourceName(volume) === wanted)
          throw conflict(
            resource,
            name,
            `Unable to add volume source [${wanted}] because it already exists`,
          );
      }
      const volume: Volume = { name: volName };
      if (opts.volumeSource.dataVolume)
        volume.dataVolume = { ...opts.volumeSource.dataVolume, hotpluggable: true };
      else if (opts.volumeSource.persistentVolumeClaim)
        volume.persistentVolumeClaim = {
          ...opts.volumeSource.persistentVolumeClaim,
          hotpluggable: true,
        };
      patchVolumes(
        object,
        (volumes, disks) => {
          volumes.push(volume);
          disks.push({ ...opts.disk, name: volName });
        },
        isDryRun(opts as Record<string, unknown>),
      );
      return 202;
    });

    registry.set(`${target}/removevolume`, ({ namespace, name, body }) => {
      if (!enabled)
        throw badRequest(
          'Unable to Remove Volume because HotplugVolumes feature gate is not enabled.',
        );
      if (body === undefined)
        throw badRequest('Request with no body, a new name is expected as the request body');
      const opts = decode(body, 'RemoveVolumeOptions', { name: 'string', dryRun: 'array' });
      const volName = opts.name as string | undefined;
      if (!volName) throw badRequest('RemoveVolumeOptions requires name to be set');
      const object = fetch(namespace, name);
      const found = (specOf(object)?.volumes ?? []).find(
        (v) => v.name === volName || sourceName(v) === volName,
      );
      if (!found)
        throw conflict(
          resource,
          name,
          `Unable to remove volume [${volName}] because it does not exist`,
        );
      if (!isHotpluggable(found))
        throw conflict(
          resource,
          name,
          `Unable to remove volume [${found.name}] because it is not hotpluggable`,
        );
      patchVolumes(
        object,
        (volumes, disks) => {
          volumes.splice(volumes.indexOf(volumes.find((v) => v.name === found.name) as Volume), 1);
          const disk = disks.findIndex((d) => d.name === found.name);
          if (disk >= 0) disks.splice(disk, 1);
        },
        isDryRun(opts),
      );
      return 202;
    });
  }
};
