// Virtual-media state derived only from cluster objects (VM volumes, the DataVolume's phase,
// progress, conditions and restarts, the VMI's volumes and volumeStatus), so every replica
// reports the same slot and Task without remembering anything.
import type { Health, MediaSnapshot } from '../backend/port.ts';
import type {
  Condition,
  DataVolume,
  PersistentVolumeClaim,
  VirtualMachine,
  VirtualMachineInstance,
} from './types.ts';
import { VirtualMediaDisk } from './types.ts';
import { MediaAnnotations, mediaTaskId } from './media-naming.ts';
import { hasMediaDisk, mediaVolumeOf } from './media-manifests.ts';
import { mediaFailureOf } from './media-failure.ts';

/** Finds a DataVolume of the VM's namespace by name (from the informer cache). */
export type DataVolumeLookup = (name: string) => DataVolume | undefined;
/** Finds a claim of the VM's namespace by name (from the informer cache). */
export type ClaimLookup = (name: string) => PersistentVolumeClaim | undefined;

const emptySlot: MediaSnapshot = {
  state: 'Empty',
  inserted: false,
  writeProtected: true,
  pendingRestart: false,
};

const finalVmiPhases = new Set(['Succeeded', 'Failed']);

const condition = (dv: DataVolume, type: string): Condition | undefined =>
  dv.status?.conditions?.find((c) => c.type === type);

/** CDI progress is "N/A" until known, then "%.2f%%" (e.g. "45.67%"), and "100.0%" at the end. */
export const parseProgress = (progress: string | undefined): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(progress?.trim() ?? '');
  if (!match) return undefined;
  return Math.min(100, Math.max(0, Number(match[1])));
};

/**
 * Why the import failed, or undefined while it may still succeed. Up to CDI v1.64 an import
 * error never sets phase Failed: the importer pod restarts and the DataVolume reports
 * Running=False reason Error with the importer's message (fidelity doc §5.2), so a restarted
 * importer that last ended in Error counts as a failure (a 404 URL never recovers).
 */
export const importFailure = (
  dv: DataVolume,
  deadline?: ImportDeadline,
  claim?: ClaimLookup,
): string | undefined => {
  const running = condition(dv, 'Running');
  if (dv.status?.phase === 'Failed') return running?.message || 'the image import failed';
  if (dv.status?.phase === 'Succeeded') return undefined;
  const restarts = dv.status?.restartCount ?? 0;
  if (running?.status === 'False' && running.reason === 'Error' && restarts >= 1)
    return running.message || 'the image import failed';
  // CDI turns Running back to True whenever it restarts the importer, dropping the message: the
  // import has failed all the same, and must not read as running again.
  if (restarts >= 1)
    return `the importer failed and CDI restarted it ${restarts} time${restarts === 1 ? '' : 's'}`;
  const due = deadline && importDueAt(dv, deadline.timeoutMs);
  if (due !== undefined && deadline && deadline.now >= due) {
    // datavolume.iso_download_timeout: an import CDI keeps retrying (or that waits for storage
    // for ever) ends here, with the last thing CDI said about it.
    const said =
      claimBlocked(dv, claim) ??
      [running, condition(dv, 'Bound')]
        .map((c) => c?.message)
        .find((m) => m !== undefined && m !== '');
    return `the import did not finish within ${Math.round(deadline.timeoutMs / 1000)} s (DataVolume phase ${dv.status?.phase ?? 'unknown'})${withReason(said)}`;
  }
  return undefined;
};

const withReason = (said: string | undefined): string => (said ? `: ${said}` : '');

/** CDI waits without a word in the DataVolume while an old claim of the same name is being
 *  deleted; its Event says this (MessageResourceMarkedForDeletion). */
const claimBlocked = (dv: DataVolume, claim: ClaimLookup | undefined): string | undefined =>
  dv.status?.phase === undefined && claim?.(dv.metadata.name)?.metadata.deletionTimestamp
    ? `Resource "${dv.metadata.name}" marked for deletion`
    : undefined;

/** The clock and the timeouts an insertion is judged against: datavolume.iso_download_timeout
 *  for the import, datavolume.vm_update_timeout for a running VM to take the media in. */
export interface ImportDeadline {
  readonly now: number;
  readonly timeoutMs: number;
  readonly attachTimeoutMs?: number;
}

/** When the insertion of `dv` must have reached its next step: the import finished, or once
 *  imported, the running VM attached it. */
export const mediaDueAt = (dv: DataVolume, deadline: Omit<ImportDeadline, 'now'>) => {
  if (dv.status?.phase !== 'Succeeded') return importDueAt(dv, deadline.timeoutMs);
  const ready = Date.parse(condition(dv, 'Ready')?.lastTransitionTime ?? '');
  // Condition times have whole seconds: the import may have ended up to a second later.
  return deadline.attachTimeoutMs === undefined || Number.isNaN(ready)
    ? undefined
    : ready + 999 + deadline.attachTimeoutMs;
};

/** When an import of `dv` must have finished (ms since the epoch), from its insertion time. */
export const importDueAt = (dv: DataVolume, timeoutMs: number): number | undefined => {
  const since = Date.parse(
    dv.metadata.annotations?.[MediaAnnotations.insertedAt] ?? dv.metadata.creationTimestamp ?? '',
  );
  return Number.isNaN(since) ? undefined : since + timeoutMs;
};

/** The URL CDI imports (the annotation has its query redacted); the Redfish layer decides who
 *  may see the query. */
const imageOf = (dv: DataVolume): string | undefined =>
  dv.spec?.source?.http?.url ?? dv.metadata.annotations?.[MediaAnnotations.image];

/** The last path segment of an image URL, decoded ("installer.iso"). */
export const imageNameOf = (image: string): string | undefined => {
  try {
    const segment = new URL(image).pathname.split('/').filter(Boolean).pop();
    return segment === undefined ? undefined : decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

const protocolOf = (image: string): 'HTTP' | 'HTTPS' | undefined =>
  image.startsWith('https:') ? 'HTTPS' : image.startsWith('http:') ? 'HTTP' : undefined;

/** Is the VMI alive (it has a pod or is getting one), as opposed to absent or finished? */
const isActive = (vmi: VirtualMachineInstance | undefined): vmi is VirtualMachineInstance =>
  vmi !== undefined &&
  !finalVmiPhases.has(vmi.status?.phase ?? '') &&
  !vmi.metadata.deletionTimestamp;

type Attachment =
  /** The guest sees the media (or will at boot: the VM is not running). */
  | { readonly kind: 'attached' }
  /** Declarative hotplug is attaching it to the running VMI. */
  | { readonly kind: 'attaching'; readonly phase: string; readonly message: string }
  /** In the VM spec, but the running VMI only gets it when it restarts. */
  | { readonly kind: 'nextStart' };

const attachmentOf = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  dataVolumeName: string,
): Attachment => {
  if (!isActive(vmi)) return { kind: 'attached' };
  const live = vmi.spec?.volumes?.find(
    (v) => v.name === VirtualMediaDisk && v.dataVolume?.name === dataVolumeName,
  );
  if (live && live.dataVolume?.hotpluggable !== true) return { kind: 'attached' };
  const status = vmi.status?.volumeStatus?.find((s) => s.name === VirtualMediaDisk);
  if (live && status?.phase === 'Ready') return { kind: 'attached' };
  // virt-controller hot-plugs a hotpluggable volume only into a CD-ROM drive the VMI booted with.
  const hotplug = mediaVolumeOf(vm)?.dataVolume?.hotpluggable === true;
  if (hotplug && hasMediaDisk(vmi.spec?.domain?.devices?.disks)) {
    const phase = status?.phase ?? 'Pending';
    return { kind: 'attaching', phase, message: `attaching to the running VM (${phase})` };
  }
  return { kind: 'nextStart' };
};

/**
 * The slot as a BMC would report it. Inserted is true only once the import has succeeded and
 * the media is in the drive (for a running VM without hotplug: in the spec, flagged
 * pendingRestart) — never during the download and never after a failure.
 */
export const toMediaSnapshot = (
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  dataVolumes: DataVolumeLookup,
  deadline?: ImportDeadline,
  claims?: ClaimLookup,
): MediaSnapshot => {
  const dataVolumeName = mediaVolumeOf(vm)?.dataVolume?.name;
  if (dataVolumeName === undefined) return failedSlot(vm) ?? emptySlot;
  const dv = dataVolumes(dataVolumeName);
  // Just created: the VM informer can see the reference before the DataVolume informer does.
  if (!dv)
    return {
      ...emptySlot,
      state: 'Importing',
      message: `waiting for DataVolume ${dataVolumeName}`,
    };

  const image = imageOf(dv);
  const imageName = image === undefined ? undefined : imageNameOf(image);
  const transferProtocol = image === undefined ? undefined : protocolOf(image);
  const insertedAt =
    dv.metadata.annotations?.[MediaAnnotations.insertedAt] ?? dv.metadata.creationTimestamp;
  const base = {
    ...(image !== undefined ? { image } : {}),
    ...(imageName !== undefined ? { imageName } : {}),
    ...(transferProtocol !== undefined ? { transferProtocol } : {}),
    ...(dv.metadata.uid !== undefined ? { taskId: mediaTaskId(dv.metadata.uid) } : {}),
    ...(insertedAt !== undefined ? { insertedAt } : {}),
    writeProtected: dv.metadata.annotations?.[MediaAnnotations.writeProtected] !== 'false',
    pendingRestart: false,
  };

  const failure = importFailure(dv, deadline, claims);
  if (failure !== undefined) {
    const due = deadline && importDueAt(dv, deadline.timeoutMs);
    const finishedAt =
      condition(dv, 'Running')?.lastTransitionTime ??
      (due !== undefined ? new Date(due).toISOString() : undefined);
    return {
      ...base,
      state: 'Failed',
      inserted: false,
      message: failure,
      ...(finishedAt !== undefined ? { finishedAt } : {}),
    };
  }

  if (dv.status?.phase !== 'Succeeded') {
    const percentComplete = parseProgress(dv.status?.progress);
    const waiting = ['WaitForFirstConsumer', 'PendingPopulation'].includes(dv.status?.phase ?? '');
    return {
      ...base,
      state: 'Importing',
      inserted: false,
      ...(percentComplete !== undefined ? { percentComplete } : {}),
      ...(waiting ? { message: `import waits for a consumer (${dv.status?.phase})` } : {}),
    };
  }

  const finishedAt = condition(dv, 'Ready')?.lastTransitionTime;
  const done = {
    ...base,
    percentComplete: 100,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  };
  const attachment = attachmentOf(vm, vmi, dataVolumeName);
  switch (attachment.kind) {
    case 'attached':
      return { ...done, state: 'Ready', inserted: true };
    case 'attaching': {
      const due = deadline && mediaDueAt(dv, deadline);
      if (deadline?.attachTimeoutMs !== undefined && due !== undefined && deadline.now >= due)
        return {
          ...base,
          state: 'Failed',
          inserted: false,
          message: `the running VM did not take the media in within ${Math.round(deadline.attachTimeoutMs / 1000)} s (hotplug volume phase ${attachment.phase})`,
          finishedAt: new Date(due).toISOString(),
        };
      return { ...done, state: 'Importing', inserted: false, message: attachment.message };
    }
    case 'nextStart':
      return {
        ...done,
        state: 'Ready',
        inserted: true,
        pendingRestart: true,
        message: 'the media applies on the next start of the VM',
      };
  }
};

/** The slot while CDI is not installed (it was removed): media still in the VM spec cannot be
 *  there, since CDI's custom resources went with it. */
export const withoutCdi = (vm: VirtualMachine): MediaSnapshot => {
  const name = mediaVolumeOf(vm)?.dataVolume?.name;
  if (name === undefined) return failedSlot(vm) ?? emptySlot;
  return {
    ...emptySlot,
    state: 'Failed',
    message: `CDI (containerized-data-importer) is not installed: DataVolume ${name} cannot exist`,
  };
};

/** The slot after a failed insertion was cleaned up: failed, with what the record kept. */
const failedSlot = (vm: VirtualMachine): MediaSnapshot | undefined => {
  const record = mediaFailureOf(vm);
  if (!record) return undefined;
  const imageName = record.image === undefined ? undefined : imageNameOf(record.image);
  const transferProtocol = record.image === undefined ? undefined : protocolOf(record.image);
  return {
    state: 'Failed',
    inserted: false,
    writeProtected: record.writeProtected,
    pendingRestart: false,
    taskId: record.taskId,
    message: record.message,
    finishedAt: record.finishedAt,
    ...(record.image !== undefined ? { image: record.image } : {}),
    ...(imageName !== undefined ? { imageName } : {}),
    ...(transferProtocol !== undefined ? { transferProtocol } : {}),
    ...(record.insertedAt !== undefined ? { insertedAt: record.insertedAt } : {}),
  };
};

/** Adds the media's contribution to a system's health: a failed import makes a power-on fail
 *  (KubeVirt never starts a VM whose DataVolume does not succeed), so it is Critical. A
 *  status that is already Critical (DataVolumeError) keeps its own, more specific message. */
export const withMediaHealth = <T extends { health: Health; healthMessage?: string }>(
  power: T,
  media: MediaSnapshot,
): T =>
  media.state !== 'Failed' || power.health === 'Critical'
    ? power
    : {
        ...power,
        health: 'Critical',
        healthMessage: `virtual media import failed: ${media.message ?? 'unknown error'}`,
      };
