// How CDI turns a DataVolume's `spec.storage` into the PVC it creates (pkg/controller/datavolume
// util.go renderPvcSpecVolumeModeAndAccessModesAndStorageClass): the class named, else the
// default one; access and volume modes not given come from the class's StorageProfile. When
// that cannot be done CDI records ErrClaimNotValid Events, sets the Bound condition to the
// error and creates no PVC. `spec.pvc` is taken as written.
import { TypeKeys } from '../resource-types.ts';
import { defaultStorageClass, isCsiProvisioner } from '../storage-classes.ts';
import type { KubeObject, ObjectStore } from '../types.ts';

export interface StorageSpec {
  accessModes?: string[];
  resources?: { requests?: { storage?: string } };
  storageClassName?: string;
  volumeMode?: string;
}

/** The PVC spec CDI settled on, and how its class binds. */
export interface RenderedClaim {
  readonly ok: true;
  readonly accessModes: string[];
  readonly volumeMode: string;
  readonly storage: string;
  readonly storageClassName?: string;
  /** The class exists (a claim of a missing class stays Pending: nothing provisions it). */
  readonly provisionable: boolean;
  readonly waitForFirstConsumer: boolean;
  /** CDI imports through its populators (CSI classes, unless the DV says otherwise). */
  readonly populator: boolean;
}

export interface InvalidClaim {
  readonly ok: false;
  /** The error CDI puts in the Bound condition (and its last ErrClaimNotValid Event). */
  readonly error: string;
  /** The ErrClaimNotValid Event messages, in the order CDI records them. */
  readonly events: readonly string[];
}

/** CDI's MessageErrStorageClassNotFound. */
export const storageClassNotFound =
  'PVC spec is missing accessMode and no storageClass to choose profile';

const binarySuffixes: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Bytes of a storage quantity such as "3Gi" or "500M"; undefined when not one. */
export const quantityBytes = (quantity: string | undefined): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity ?? '');
  const factor = binarySuffixes[match?.[2] ?? ''];
  return match && factor !== undefined ? Math.ceil(Number(match[1]) * factor) : undefined;
};

const usePopulatorAnnotation = 'cdi.kubevirt.io/storage.usePopulator';

interface ClaimPropertySet {
  accessModes?: string[];
  volumeMode?: string;
}

const propertySetsOf = (profile: KubeObject | undefined): ClaimPropertySet[] =>
  (profile?.status as { claimPropertySets?: ClaimPropertySet[] } | undefined)?.claimPropertySets ??
  [];

export const renderClaim = (
  store: ObjectStore,
  dv: KubeObject,
  spec: { storage?: StorageSpec; pvc?: StorageSpec },
): RenderedClaim | InvalidClaim => {
  const raw = spec.storage ?? spec.pvc ?? {};
  const storage = raw.resources?.requests?.storage ?? '1Gi';
  const storageClass =
    raw.storageClassName !== undefined
      ? store.get(TypeKeys.storageClasses, undefined, raw.storageClassName)
      : defaultStorageClass(store);
  const className = storageClass?.metadata.name ?? raw.storageClassName;
  const accessModes = raw.accessModes ?? [];
  let volumeMode = raw.volumeMode;
  const claim = (modes: string[]): RenderedClaim => {
    const annotation = dv.metadata.annotations?.[usePopulatorAnnotation];
    return {
      ok: true,
      accessModes: modes,
      volumeMode: volumeMode ?? 'Filesystem',
      storage,
      ...(className !== undefined ? { storageClassName: className } : {}),
      provisionable: storageClass !== undefined,
      waitForFirstConsumer: storageClass?.volumeBindingMode === 'WaitForFirstConsumer',
      populator:
        annotation !== undefined
          ? annotation === 'true'
          : storageClass !== undefined && isCsiProvisioner(storageClass.provisioner),
    };
  };
  if (spec.storage === undefined)
    return claim(accessModes.length ? accessModes : ['ReadWriteOnce']);
  if (!storageClass) {
    if (accessModes.length > 0) return claim(accessModes);
    // Recorded twice: while rendering, and again by the reconciler with the error.
    return {
      ok: false,
      error: storageClassNotFound,
      events: [storageClassNotFound, storageClassNotFound],
    };
  }
  if (accessModes.length > 0) {
    volumeMode ??= propertySetsOf(
      store.get(TypeKeys.storageProfiles, undefined, className ?? ''),
    ).find((set) => set.accessModes?.some((m) => accessModes.includes(m)))?.volumeMode;
    return claim(accessModes);
  }
  const profile = store.get(TypeKeys.storageProfiles, undefined, className ?? '');
  const notFound = `storageprofiles.cdi.kubevirt.io "${className ?? ''}" not found`;
  if (volumeMode === undefined) {
    const first = propertySetsOf(profile)[0];
    if (first?.accessModes?.length) {
      volumeMode = first.volumeMode;
      return claim(first.accessModes);
    }
    const event = `Spec is missing accessMode and volumeMode, cannot get access mode from StorageProfile ${className ?? ''}`;
    const error = profile
      ? `no accessMode specified in StorageProfile ${className ?? ''}`
      : `cannot get StorageProfile: ${notFound}`;
    return { ok: false, error, events: [event, error] };
  }
  const matching = propertySetsOf(profile).find(
    (set) => set.volumeMode === volumeMode && set.accessModes?.length,
  );
  if (matching?.accessModes) return claim(matching.accessModes);
  const event = `Spec is missing accessMode and cannot get access mode from StorageProfile ${className ?? ''}`;
  const error = profile
    ? `no matching accessMode specified in StorageProfile ${className ?? ''}`
    : `no accessMode specified and cannot get StorageProfile ${className ?? ''}: ${notFound}`;
  return { ok: false, error, events: [event, error] };
};
