// Virtual media over CDI: InsertMedia creates a DataVolume owned by the VM and attaches it to
// the dedicated CD-ROM; EjectMedia detaches it and deletes what we created. Inserts on one VM
// are serialised in-process, and across replicas by the deterministic DataVolume name plus
// resourceVersion-conditional VM patches, so exactly one DataVolume results.
import type {
  Actor,
  BackendCapabilities,
  InsertMediaOutcome,
  InsertMediaRequest,
  VmRef,
  WriteOptions,
} from '../backend/port.ts';
import { BackendError } from '../backend/errors.ts';
import type { Clock } from '../util/clock.ts';
import { redactUrl, type Logger } from '../observability/logger.ts';
import type { MediaApi } from './media-api.ts';
import {
  attachMediaPatch,
  buildMediaDataVolume,
  buildMediaSecret,
  detachMediaPatch,
  hasMediaDisk,
  mediaVolumeOf,
  type MediaStorageConfig,
  type OwnedBy,
} from './media-manifests.ts';
import { MediaLabels, mediaDataVolumeName, mediaSecretName, mediaTaskId } from './media-naming.ts';
import { importFailure } from './media-snapshot.ts';
import type { DataVolume, VirtualMachineInstance } from './types.ts';

export interface MediaService {
  insert(
    ref: VmRef,
    request: InsertMediaRequest,
    actor: Actor,
    options?: WriteOptions,
  ): Promise<InsertMediaOutcome>;
  eject(ref: VmRef, actor: Actor, options?: WriteOptions): Promise<void>;
}

/** Attempts of a read-decide-patch round before giving up on a VM that keeps changing. */
const maxAttempts = 5;

/** Runs tasks with the same key one after another (per-VM serialisation within a process). */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/** Only plain http(s) URLs without userinfo reach CDI (credentials travel in a Secret). */
const checkImageUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new BackendError('invalid', 'the image is not a valid URL', { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new BackendError('invalid', `the image URL scheme ${url.protocol} is not http or https`);
  if (url.username || url.password)
    throw new BackendError('invalid', 'the image URL must not carry credentials');
  return raw;
};

const isActive = (vmi: VirtualMachineInstance | undefined): vmi is VirtualMachineInstance =>
  vmi !== undefined &&
  !['Succeeded', 'Failed'].includes(vmi.status?.phase ?? '') &&
  !vmi.metadata.deletionTimestamp;

const ownerOf = (ref: VmRef, uid: string | undefined): OwnedBy => {
  if (!uid)
    throw new BackendError('unavailable', `VirtualMachine ${ref.namespace}/${ref.name} has no uid`);
  return { name: ref.name, namespace: ref.namespace, uid };
};

const taskIdOf = (dv: DataVolume): string => {
  const uid = dv.metadata.uid;
  if (!uid) throw new BackendError('unavailable', `DataVolume ${dv.metadata.name} has no uid`);
  return mediaTaskId(uid);
};

export const createMediaService = (options: {
  api: MediaApi;
  capabilities: Pick<BackendCapabilities, 'cdromHotplug'>;
  storage: MediaStorageConfig;
  clock: Clock;
  logger: Logger;
}): MediaService => {
  const { api, capabilities, storage, clock, logger } = options;
  const mutex = new KeyedMutex();
  const keyOf = (ref: VmRef) => `${ref.namespace}/${ref.name}`;

  const removeImport = async (namespace: string, name: string): Promise<void> => {
    await api.deleteDataVolume(namespace, name);
    await api.deleteSecret(namespace, mediaSecretName(name));
  };

  /** Creates the DataVolume (and its Secret) unless it exists; 'exists' means another request
   *  or replica created it first, which for the same deterministic name is the same insert. */
  const ensureDataVolume = async (
    owner: OwnedBy,
    name: string,
    request: InsertMediaRequest,
    actor: Actor,
  ): Promise<{ dv: DataVolume | undefined; created: boolean }> => {
    if (request.credentials) {
      await api.putSecret(
        buildMediaSecret({ dataVolumeName: name, vm: owner, ...request.credentials }),
      );
    }
    const manifest = buildMediaDataVolume({
      name,
      vm: owner,
      url: request.url,
      withCredentials: request.credentials !== undefined,
      storage,
      insertedAt: new Date(clock.now()).toISOString(),
      insertedBy: actor.user,
      writeProtected: request.writeProtected,
    });
    const created = await api.createDataVolume(manifest);
    if (created !== 'exists') return { dv: created, created: true };
    return { dv: await api.getDataVolume(owner.namespace, name), created: false };
  };

  const insertOnce = async (
    ref: VmRef,
    request: InsertMediaRequest,
    actor: Actor,
    createdEarlier: string | undefined,
  ): Promise<InsertMediaOutcome | { retry: string | undefined }> => {
    const vm = await api.getVm(ref);
    const owner = ownerOf(ref, vm.metadata.uid);
    const wanted = mediaDataVolumeName(ref.name, owner.uid, request.url);
    const current = mediaVolumeOf(vm);
    if (current && !current.dataVolume)
      throw new BackendError(
        'conflict',
        `the CD-ROM ${current.name} holds a volume this service does not manage`,
      );
    const currentName = current?.dataVolume?.name;

    if (currentName !== undefined && currentName !== wanted) {
      // A dangling reference (its DataVolume is gone) is an empty drive; anything else is a
      // different image, and a BMC refuses to insert over it (Redfish: eject first).
      if (await api.getDataVolume(ref.namespace, currentName)) {
        if (createdEarlier !== undefined) await removeImport(ref.namespace, createdEarlier);
        throw new BackendError('conflict', 'a different image is inserted; eject it first');
      }
    }

    let dv = await api.getDataVolume(ref.namespace, wanted);
    if (dv && !dv.metadata.deletionTimestamp && importFailure(dv) !== undefined) {
      // Inserting an image whose import failed retries it (with possibly new credentials);
      // answering "unchanged" would report a failed import as present.
      await removeImport(ref.namespace, wanted);
      dv = undefined;
    } else if (dv && !dv.metadata.deletionTimestamp && currentName === wanted) {
      return { kind: 'unchanged' };
    }
    let created = createdEarlier;
    if (!dv) {
      const ensured = await ensureDataVolume(owner, wanted, request, actor);
      dv = ensured.dv;
      if (ensured.created) created = wanted;
    }
    if (!dv || dv.metadata.deletionTimestamp) {
      throw new BackendError(
        'unavailable',
        'the previous import of this image is still being removed',
        {
          retryAfterSeconds: 2,
        },
      );
    }

    let appliesOnNextStart = false;
    if (currentName !== wanted) {
      const vmi = await api.getVmi(ref);
      const running = isActive(vmi);
      // Declarative hotplug swaps media only in a CD-ROM drive the running VMI booted with;
      // on a stopped VM a plain volume makes KubeVirt wait for the import before booting.
      const hotplug =
        running && capabilities.cdromHotplug && hasMediaDisk(vmi.spec?.domain?.devices?.disks);
      if ((await api.patchVm(ref, attachMediaPatch(vm, wanted, hotplug))) === 'conflict')
        return { retry: created };
      appliesOnNextStart = running && !hotplug;
    }
    const taskId = taskIdOf(dv);
    logger.info(
      {
        user: actor.user,
        vm: keyOf(ref),
        image: redactUrl(request.url),
        dataVolume: wanted,
        appliesOnNextStart,
      },
      'virtual media inserted',
    );
    return { kind: 'started', taskId, appliesOnNextStart };
  };

  return {
    async insert(ref, request, actor, writeOptions) {
      checkImageUrl(request.url);
      return mutex.run(keyOf(ref), async () => {
        let created: string | undefined;
        for (let attempt = 0; attempt < maxAttempts; attempt++) {
          writeOptions?.signal?.throwIfAborted();
          const result = await insertOnce(ref, request, actor, created);
          if (!('retry' in result)) return result;
          created = result.retry;
        }
        throw new BackendError('unavailable', `VirtualMachine ${keyOf(ref)} kept changing; retry`, {
          retryAfterSeconds: 1,
        });
      });
    },

    async eject(ref, actor, writeOptions) {
      await mutex.run(keyOf(ref), async () => {
        let uid: string | undefined;
        let detached: string | undefined;
        for (let attempt = 0; ; attempt++) {
          if (attempt === maxAttempts)
            throw new BackendError(
              'unavailable',
              `VirtualMachine ${keyOf(ref)} kept changing; retry`,
              {
                retryAfterSeconds: 1,
              },
            );
          writeOptions?.signal?.throwIfAborted();
          const vm = await api.getVm(ref);
          uid = vm.metadata.uid;
          detached = mediaVolumeOf(vm)?.dataVolume?.name;
          const patch = detachMediaPatch(vm, capabilities.cdromHotplug);
          if (!patch || (await api.patchVm(ref, patch)) === 'patched') break;
        }
        // Every DataVolume and Secret we made for this VM goes, including any a crashed insert
        // left unattached; ejecting an empty drive is a success (nothing matches).
        const owner = ownerOf(ref, uid);
        const selector = `${MediaLabels.vmUid}=${owner.uid}`;
        for (const dv of await api.listDataVolumes(ref.namespace, selector))
          await api.deleteDataVolume(ref.namespace, dv.metadata.name);
        for (const name of await api.listSecretNames(ref.namespace, selector))
          await api.deleteSecret(ref.namespace, name);
        logger.info(
          { user: actor.user, vm: keyOf(ref), dataVolume: detached ?? null },
          detached ? 'virtual media ejected' : 'virtual media eject on an empty drive',
        );
      });
    },
  };
};
