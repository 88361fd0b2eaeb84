// What the informer caches keep of each object: everything the service reads (mapping.ts and
// the inventory read metadata, the whole spec — domain, volumes, networks, template — and the
// whole status — interfaces, volumeStatus, conditions), minus the bookkeeping Kubernetes adds
// for other clients: managedFields (often larger than the object itself on a real cluster) and
// kubectl's last-applied-configuration copy of the object.
import type { Condition, DataVolume, Meta, PersistentVolumeClaim } from './types.ts';

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/** The object without managedFields and last-applied-configuration; others untouched. Objects
 *  come fresh from JSON.parse, so the copy is shallow and only where something is dropped. */
export const trimObject = <T extends { metadata: Meta }>(object: T): T => {
  const metadata = object.metadata as Meta & {
    managedFields?: unknown;
    annotations?: Record<string, string>;
  };
  const dropAnnotation = metadata.annotations?.[lastApplied] !== undefined;
  if (metadata.managedFields === undefined && !dropAnnotation) return object;
  const kept = { ...metadata };
  delete kept.managedFields;
  if (dropAnnotation) {
    const annotations = { ...metadata.annotations };
    delete annotations[lastApplied];
    kept.annotations = annotations;
  }
  return { ...object, metadata: kept };
};

/** The metadata the service reads (types.ts Meta), trimmed as above: finalizers and the rest of
 *  Kubernetes' bookkeeping go. */
const trimMeta = (metadata: Meta): Meta => {
  const { name, namespace, uid, resourceVersion, generation, creationTimestamp } = metadata;
  const { deletionTimestamp, labels, ownerReferences } = metadata;
  const { annotations } = trimObject({ metadata }).metadata;
  return {
    name,
    ...(namespace !== undefined && { namespace }),
    ...(uid !== undefined && { uid }),
    ...(resourceVersion !== undefined && { resourceVersion }),
    ...(generation !== undefined && { generation }),
    ...(creationTimestamp !== undefined && { creationTimestamp }),
    ...(deletionTimestamp !== undefined && { deletionTimestamp }),
    ...(labels !== undefined && { labels }),
    ...(annotations !== undefined && { annotations }),
    ...(ownerReferences !== undefined && { ownerReferences }),
  };
};

const trimConditions = (conditions: readonly Condition[] | undefined): Condition[] | undefined =>
  conditions?.map(({ type, status, reason, message, lastTransitionTime }) => ({
    type,
    status,
    ...(reason !== undefined && { reason }),
    ...(message !== undefined && { message }),
    ...(lastTransitionTime !== undefined && { lastTransitionTime }),
  }));

/**
 * Claims and DataVolumes are cached for every VM of a namespace (one or two per VM, 20,000 at
 * 10,000 VMs) but only read for a few fields, and never written back from the cache: they keep
 * just the fields types.ts declares (issue 12: the RSS goal). Access modes, volume modes, storage
 * classes and conditions' heartbeat times go. VMs and VMIs stay whole (their specs are patched).
 */
export const trimClaim = (claim: PersistentVolumeClaim): PersistentVolumeClaim => {
  const requested = claim.spec?.resources?.requests?.storage;
  const { phase, capacity } = claim.status ?? {};
  return {
    metadata: trimMeta(claim.metadata),
    ...(requested !== undefined && { spec: { resources: { requests: { storage: requested } } } }),
    ...(claim.status !== undefined && {
      status: {
        ...(phase !== undefined && { phase }),
        ...(capacity?.storage !== undefined && { capacity: { storage: capacity.storage } }),
      },
    }),
  };
};

export const trimDataVolume = (dataVolume: DataVolume): DataVolume => {
  const { status } = dataVolume;
  const conditions = trimConditions(status?.conditions);
  return {
    metadata: trimMeta(dataVolume.metadata),
    ...(dataVolume.spec !== undefined && { spec: dataVolume.spec }),
    ...(status !== undefined && {
      status: { ...status, ...(conditions !== undefined && { conditions }) },
    }),
  };
};
