// What is left of an insertion that failed and was cleaned up (its DataVolume and Secret deleted,
// the CD-ROM detached, once datavolume.iso_download_timeout or vm_update_timeout passed): a
// record in an annotation of the VM, so every replica keeps reporting the slot as failed and the
// Task as an Exception with CDI's words until the next InsertMedia or EjectMedia clears it.
import type { VirtualMachine } from './types.ts';
import { MediaAnnotations } from './media-naming.ts';

export interface MediaFailureRecord {
  readonly taskId: string;
  /** The image as the DataVolume's annotation had it (userinfo removed, query redacted). */
  readonly image?: string;
  readonly insertedAt?: string;
  readonly finishedAt: string;
  readonly message: string;
  readonly writeProtected: boolean;
}

const isRecord = (value: unknown): value is MediaFailureRecord => {
  const r = value as Partial<MediaFailureRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.taskId === 'string' &&
    typeof r.finishedAt === 'string' &&
    typeof r.message === 'string' &&
    typeof r.writeProtected === 'boolean' &&
    (r.image === undefined || typeof r.image === 'string') &&
    (r.insertedAt === undefined || typeof r.insertedAt === 'string')
  );
};

/** The VM's failure record; a hand-edited or foreign value counts as none. */
export const mediaFailureOf = (vm: VirtualMachine): MediaFailureRecord | undefined => {
  const text = vm.metadata.annotations?.[MediaAnnotations.failure];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

/** Merge-patch metadata that writes the record. */
export const recordFailure = (record: MediaFailureRecord) => ({
  annotations: { [MediaAnnotations.failure]: JSON.stringify(record) },
});

/** `patch` plus the removal of the VM's failure record, if it has one (a new insertion or an
 *  eject ends what the record reports). */
export const clearingFailure = (
  vm: VirtualMachine,
  patch: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined =>
  vm.metadata.annotations?.[MediaAnnotations.failure] === undefined
    ? patch
    : { ...patch, metadata: { annotations: { [MediaAnnotations.failure]: null } } };
