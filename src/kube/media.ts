// Virtual media over CDI: InsertMedia creates a DataVolume owned by the VM and attaches it to
// the dedicated CD-ROM; EjectMedia detaches it and deletes what we created. Inserts on one VM
// are serialised in-process, and across replicas by the deterministic DataVolume name (a
// second create answers AlreadyExists) plus resourceVersion-conditional VM patches, so exactly
// one DataVolume results. An insert is all or nothing: when it stops after creating its
// DataVolume and Secret (the client hung up, a conflict, a failure) it deletes them again.
import type {
  Actor,
  BackendCapabilities,
  InsertMediaOutcome,
  InsertMediaRequest,
  VmRef,
} from '../backend/port.ts';
import { BackendError, isBackendError } from '../backend/errors.ts';
import type { Clock } from '../util/clock.ts';
import type { ImageUrlPolicy } from '../media-url-policy/image-url-policy.ts';
import { redactUrl, type Logger } from '../observability/logger.ts';
import type { KubeClients } from './client.ts';
import { createMediaApi, type MediaApi } from './media-api.ts';
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
import { clearingFailure, recordFailure } from './media-failure.ts';
import {
  MediaAnnotations,
  MediaLabels,
  mediaDataVolumeName,
  mediaSecretName,
  mediaTaskId,
} from './media-naming.ts';
import { importFailure } from './media-snapshot.ts';
import type { DataVolume, VirtualMachine, VirtualMachineInstance } from './types.ts';
import { getVmFresh, patchVm, requireUnchanged } from './vm-patch.ts';

export interface MediaWriteOptions {
  /** Aborted when the client hangs up or the deadline passes: no further step is started. */
  readonly signal?: AbortSignal;
  /** If-Match: the VM as the client's ETag shows it. The write is pinned to its
   *  resourceVersion at the API server; any change since answers preconditionFailed. */
  readonly pinnedTo?: VirtualMachine;
}

export interface MediaService {
  insert(
    ref: VmRef,
    request: InsertMediaRequest,
    actor: Actor,
    options?: MediaWriteOptions,
  ): Promise<InsertMediaOutcome>;
  eject(ref: VmRef, actor: Actor, options?: MediaWriteOptions): Promise<void>;
  /** Ends an insertion whose timeout passed: records the failure on the VM, detaches the
   *  CD-ROM and deletes the DataVolume and its Secret. */
  expire(ref: VmRef, dv: DataVolume, failure: ExpiredInsertion): Promise<void>;
}

/** How an expired insertion ended, as its slot reported it. */
export interface ExpiredInsertion {
  readonly message: string;
  readonly finishedAt: string;
}

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
const checkImageUrl = (raw: string): void => {
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
};

const isLive = (vmi: VirtualMachineInstance | undefined): vmi is VirtualMachineInstance =>
  vmi !== undefined &&
  !['Succeeded', 'Failed'].includes(vmi.status?.phase ?? '') &&
  !vmi.metadata.deletionTimestamp;

const ownerOf = (ref: VmRef, vm: VirtualMachine): OwnedBy => {
  const uid = vm.metadata.uid;
  if (!uid)
    throw new BackendError('unavailable', `VirtualMachine ${ref.namespace}/${ref.name} has no uid`);
  return { name: ref.name, namespace: ref.namespace, uid };
};

/** An outage can lose the answer to a VM patch that the API server applied. */
const mayHaveLanded = (error: unknown): boolean =>
  isBackendError(error) && error.kind === 'unavailable';

const differentImage = () =>
  new BackendError('conflict', 'a different image is inserted; eject it first');

export interface MediaServiceOptions {
  readonly clients: KubeClients;
  /** Read per request: a feature gate may change while the service runs. */
  readonly capabilities: () => Pick<BackendCapabilities, 'cdromHotplug'>;
  readonly storage: MediaStorageConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Hosts CDI may be sent to (datavolume.image_url_policy). */
  readonly imageUrlPolicy: ImageUrlPolicy;
}

export const createMediaService = (options: MediaServiceOptions): MediaService => {
  const { clients, capabilities, storage, clock, logger } = options;
  const api: MediaApi = createMediaApi(clients);
  const mutex = new KeyedMutex();
  const keyOf = (ref: VmRef) => `${ref.namespace}/${ref.name}`;

  const removeImport = async (namespace: string, name: string): Promise<void> => {
    await api.deleteDataVolume(namespace, name);
    await api.deleteSecret(namespace, mediaSecretName(name));
  };

  /** Creates the DataVolume (and its Secret); 'exists' means another request or replica won
   *  the race for the same deterministic name, which is the same insert. */
  const createImport = async (
    owner: OwnedBy,
    name: string,
    request: InsertMediaRequest,
    actor: Actor,
    signal: AbortSignal | undefined,
  ): Promise<{ dv: DataVolume | undefined; created: boolean }> => {
    signal?.throwIfAborted();
    if (request.credentials) {
      await api.putSecret(
        buildMediaSecret({ dataVolumeName: name, vm: owner, ...request.credentials }),
      );
    }
    const creating = Promise.resolve().then(() => {
      signal?.throwIfAborted();
      return api.createDataVolume(
        buildMediaDataVolume({
          name,
          vm: owner,
          url: request.url,
          withCredentials: request.credentials !== undefined,
          storage,
          insertedAt: new Date(clock.now()).toISOString(),
          insertedBy: actor.user,
          writeProtected: request.writeProtected,
        }),
      );
    });
    const result = await creating.catch(async (error: unknown) => {
      // A Secret without its DataVolume would otherwise wait for the leftover sweep.
      if (request.credentials)
        await api.deleteSecret(owner.namespace, mediaSecretName(name)).catch(() => undefined);
      throw error;
    });
    if (result !== 'exists') return { dv: result, created: true };
    return { dv: await api.getDataVolume(owner.namespace, name), created: false };
  };

  const insert = async (
    ref: VmRef,
    request: InsertMediaRequest,
    actor: Actor,
    { signal, pinnedTo }: MediaWriteOptions,
  ): Promise<InsertMediaOutcome> => {
    // Pinned: checked before anything is created, and again by the VM patch itself.
    const vm = pinnedTo
      ? await requireUnchanged(clients, ref, pinnedTo)
      : await getVmFresh(clients, ref);
    const owner = ownerOf(ref, vm);
    const wanted = mediaDataVolumeName(ref.name, owner.uid, request.url);
    const current = mediaVolumeOf(vm);
    // A BMC refuses to insert over other media (Redfish: eject first); that includes a CD-ROM
    // volume this service did not make.
    if (current && current.dataVolume?.name !== wanted) throw differentImage();

    let dv = await api.getDataVolume(ref.namespace, wanted);
    if (dv && !dv.metadata.deletionTimestamp) {
      const deadline =
        storage.importTimeoutMs === undefined
          ? undefined
          : { now: clock.now(), timeoutMs: storage.importTimeoutMs };
      if (importFailure(dv, deadline) === undefined) {
        if (current) return { kind: 'unchanged' };
      } else {
        // Inserting an image whose import failed retries it (perhaps with new credentials);
        // answering "unchanged" would report the failed import as present.
        await removeImport(ref.namespace, wanted);
        dv = undefined;
      }
    }
    let created = false;
    if (!dv) ({ dv, created } = await createImport(owner, wanted, request, actor, signal));
    try {
      return await attach(ref, request, actor, { vm, dv, wanted, current, signal, pinnedTo });
    } catch (error) {
      // A stopped attach (a hang-up, a conflict, If-Match) must not leave our DataVolume and
      // Secret unattached. After an outage the patch may have landed with its answer lost:
      // those are left to the leftover sweep, which removes them only if unattached.
      if (created && !mayHaveLanded(error))
        await removeImport(ref.namespace, wanted).catch((cleanup: unknown) =>
          logger.warn(
            { vm: keyOf(ref), dataVolume: wanted, err: String(cleanup) },
            'could not remove the import of an insert that did not complete',
          ),
        );
      throw error;
    }
  };

  /** Attaches the import to the VM's CD-ROM: the one VM write of an insert. */
  const attach = async (
    ref: VmRef,
    request: InsertMediaRequest,
    actor: Actor,
    step: {
      vm: VirtualMachine;
      dv: DataVolume | undefined;
      wanted: string;
      current: ReturnType<typeof mediaVolumeOf>;
      signal: AbortSignal | undefined;
      pinnedTo: VirtualMachine | undefined;
    },
  ): Promise<InsertMediaOutcome> => {
    const { vm, dv, wanted, current, signal } = step;
    if (!dv?.metadata.uid || dv.metadata.deletionTimestamp) {
      throw new BackendError('unavailable', 'the previous import of this image is being removed', {
        retryAfterSeconds: 2,
      });
    }
    signal?.throwIfAborted();
    const vmi = await api.getVmi(ref);
    // Declarative hotplug swaps media only in a CD-ROM drive the running VMI booted with. On a
    // stopped VM a plain volume makes KubeVirt wait for the import before it boots, so a
    // power-on can never start the VM without its media.
    const live = isLive(vmi);
    const hotplug =
      live && capabilities().cdromHotplug && hasMediaDisk(vmi.spec?.domain?.devices?.disks);
    await patchVm(
      clients,
      ref,
      vm,
      (fresh) => {
        const name = mediaVolumeOf(fresh)?.dataVolume?.name;
        if (name === wanted) return clearingFailure(fresh, undefined);
        if (mediaVolumeOf(fresh)) throw differentImage();
        return clearingFailure(fresh, attachMediaPatch(fresh, wanted, hotplug));
      },
      signal,
      step.pinnedTo !== undefined,
    );
    const appliesOnNextStart = live && !hotplug && !current;
    // Debug detail: the Redfish layer records the insert once (audit).
    logger.debug(
      {
        user: actor.user,
        vm: keyOf(ref),
        image: redactUrl(request.url),
        dataVolume: wanted,
        appliesOnNextStart,
      },
      'virtual media inserted',
    );
    return { kind: 'started', taskId: mediaTaskId(dv.metadata.uid), appliesOnNextStart };
  };

  const eject = async (ref: VmRef, actor: Actor, { signal, pinnedTo }: MediaWriteOptions) => {
    let detached: string | undefined;
    // Pinned: the detach patch carries the version the client saw. Once it is detached, the
    // deletes below run to the end even if the client has gone: they finish the eject.
    const vm = await patchVm(
      clients,
      ref,
      pinnedTo,
      (fresh) => {
        detached = mediaVolumeOf(fresh)?.dataVolume?.name;
        return clearingFailure(fresh, detachMediaPatch(fresh, capabilities().cdromHotplug));
      },
      signal,
      pinnedTo !== undefined,
    );
    // Every DataVolume and Secret we made for this VM goes, including any a crashed insert
    // left unattached; on an empty drive nothing matches and the eject still succeeds.
    const selector = `${MediaLabels.vmUid}=${ownerOf(ref, vm).uid}`;
    for (const dv of await api.listDataVolumes(ref.namespace, selector))
      await api.deleteDataVolume(ref.namespace, dv.metadata.name);
    for (const name of await api.listSecretNames(ref.namespace, selector))
      await api.deleteSecret(ref.namespace, name);
    logger.debug(
      { user: actor.user, vm: keyOf(ref), dataVolume: detached ?? null },
      detached ? 'virtual media ejected' : 'virtual media eject on an empty drive',
    );
  };

  const expire = async (ref: VmRef, dv: DataVolume, failure: ExpiredInsertion) => {
    const name = dv.metadata.name;
    const annotations = dv.metadata.annotations ?? {};
    const image = annotations[MediaAnnotations.image];
    const insertedAt = annotations[MediaAnnotations.insertedAt] ?? dv.metadata.creationTimestamp;
    const record = {
      taskId: mediaTaskId(dv.metadata.uid ?? ''),
      ...(image !== undefined ? { image } : {}),
      ...(insertedAt !== undefined ? { insertedAt } : {}),
      finishedAt: failure.finishedAt,
      message: failure.message,
      writeProtected: annotations[MediaAnnotations.writeProtected] !== 'false',
    };
    // Every replica's timer fires; the first patch wins and the others find the drive changed.
    await patchVm(clients, ref, undefined, (fresh) =>
      mediaVolumeOf(fresh)?.dataVolume?.name === name
        ? {
            ...detachMediaPatch(fresh, capabilities().cdromHotplug),
            metadata: recordFailure(record),
          }
        : undefined,
    );
    await removeImport(ref.namespace, name);
    logger.info(
      { vm: keyOf(ref), dataVolume: name, reason: failure.message },
      'virtual media insertion timed out; DataVolume removed',
    );
  };

  return {
    async insert(ref, request, actor, write) {
      checkImageUrl(request.url);
      // Before any write: a refused URL must leave nothing behind.
      const verdict = options.imageUrlPolicy.check(request.url);
      if (!verdict.allowed)
        throw new BackendError('invalid', `the image URL host is ${verdict.reason}`);
      return mutex.run(keyOf(ref), () => insert(ref, request, actor, write ?? {}));
    },
    async eject(ref, actor, write) {
      await mutex.run(keyOf(ref), () => eject(ref, actor, write ?? {}));
    },
    async expire(ref, dv, failure) {
      await mutex.run(keyOf(ref), () => expire(ref, dv, failure));
    },
  };
};
