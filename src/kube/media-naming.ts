// Names, labels and annotations of the objects virtual media creates: deterministic per VM and
// image, so two replicas inserting the same image race to the same DataVolume name and the
// loser's create answers 409 AlreadyExists (the cluster-level guard against duplicate imports).
import { createHash } from 'node:crypto';
import { managedByLabel } from './ownership.ts';

/** Kubernetes DNS-1123 label limit; DataVolume names also name the PVC and CDI's importer pod
 *  labels, so we stay within it for any VM name (which may be a 253-character subdomain). */
const maxNameLength = 63;
const nameInfix = '-vmedia-';
const hashLength = 8;

export const MediaLabels = {
  /** Marks every object this service creates for virtual media (selectors, informers). */
  managedBy: managedByLabel,
  /** The owning VM's uid: a label value is limited to 63 characters, a VM name is not. */
  vmUid: 'kubevirt-redfish.io/vm-uid',
} as const;

export const MediaAnnotations = {
  /** The image URL as inserted, without userinfo (credentials live only in the Secret) and
   *  with query values redacted (a pre-signed URL's signature lives only in the spec). */
  image: 'kubevirt-redfish.io/media-image',
  /** ISO 8601 time of the InsertMedia request. */
  insertedAt: 'kubevirt-redfish.io/media-inserted-at',
  /** Who inserted it, for the audit trail. */
  insertedBy: 'kubevirt-redfish.io/media-inserted-by',
  writeProtected: 'kubevirt-redfish.io/media-write-protected',
  /** CDI: bind the PVC at once even on WaitForFirstConsumer storage, so the import runs while
   *  the VM is off (otherwise power-on waits for the import and the import waits for a
   *  consumer: the reference implementation's deadlock, reference-implementation.md §2.1). */
  immediateBind: 'cdi.kubevirt.io/storage.bind.immediate.requested',
  /** On the VM: the insertion that ended in failure and was cleaned up (media-failure.ts). */
  failure: 'kubevirt-redfish.io/media-failure',
} as const;

const shortHash = (...parts: readonly string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, hashLength);

/** Lower-cases and reduces a VM name to DNS-label characters (dots become dashes). */
const labelSafe = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+/, '');

/**
 * The DataVolume for inserting `image` into the VM whose uid is `vmUid`:
 * `<vm-name-prefix>-vmedia-<hash8>`, at most 63 characters. The hash covers the VM's uid (a
 * re-created VM of the same name never adopts its predecessor's import) and the image URL.
 */
export const mediaDataVolumeName = (vmName: string, vmUid: string, image: string): string => {
  const room = maxNameLength - nameInfix.length - hashLength;
  const prefix = labelSafe(vmName).slice(0, room).replace(/-+$/, '') || 'vm';
  return `${prefix}${nameInfix}${shortHash(vmUid, image)}`;
};

/** The Secret holding the image credentials of one DataVolume (a subdomain: up to 253 chars). */
export const mediaSecretName = (dataVolumeName: string): string => `${dataVolumeName}-auth`;

/** The task key of an insertion: the DataVolume's uid without dashes, unique per insertion
 *  (re-inserting the same image later creates a new object, so a new task). */
export const mediaTaskId = (dataVolumeUid: string): string => dataVolumeUid.replace(/-/g, '');
