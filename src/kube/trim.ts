// What the informer caches keep of each object: everything the service reads (mapping.ts and
// the inventory read metadata, the whole spec — domain, volumes, networks, template — and the
// whole status — interfaces, volumeStatus, conditions), minus the bookkeeping Kubernetes adds
// for other clients: managedFields (often larger than the object itself on a real cluster) and
// kubectl's last-applied-configuration copy of the object.
import type { Meta } from './types.ts';

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
