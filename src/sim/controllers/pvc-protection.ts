// Kubernetes' PVC protection: a claim carries the kubernetes.io/pvc-protection finalizer, so
// deleting one that a pod still mounts leaves it Terminating until no pod uses it. Here the
// pods are the VMIs' virt-launchers: a claim is in use while a live VMI has a volume on it.
import type { KubeObject, ObjectStore, StoreEvent } from '../types.ts';
import { Keys, type Volume } from './kubevirt-objects.ts';
import { WorkQueue, type ErrorSink } from './work-queue.ts';

export const pvcProtectionFinalizer = 'kubernetes.io/pvc-protection';

/** Claims a VMI's volumes use (a DataVolume's claim has the DataVolume's name). */
export const claimsOf = (vmi: KubeObject): string[] =>
  ((vmi.spec as { volumes?: Volume[] } | undefined)?.volumes ?? []).flatMap((v) =>
    v.dataVolume
      ? [v.dataVolume.name]
      : v.persistentVolumeClaim
        ? [v.persistentVolumeClaim.claimName]
        : [],
  );

/** Whether a virt-launcher pod (a VMI not finished nor being deleted) uses the claim. */
export const claimInUse = (store: ObjectStore, namespace: string, claim: string): boolean =>
  store
    .list(Keys.vmi, namespace)
    .items.some(
      (vmi) =>
        !vmi.metadata.deletionTimestamp &&
        !['Succeeded', 'Failed'].includes(
          (vmi.status as { phase?: string } | undefined)?.phase ?? '',
        ) &&
        claimsOf(vmi).includes(claim),
    );

/** Removes the finalizer of terminating claims no VMI uses any more. */
export const startPvcProtection = (options: {
  readonly store: ObjectStore;
  readonly onError: ErrorSink;
}): { close(): void } => {
  const { store } = options;
  const reconcile = (key: string): void => {
    const at = key.indexOf('/');
    const [namespace, name] = [key.slice(0, at), key.slice(at + 1)];
    const pvc = store.get(Keys.pvc, namespace, name);
    if (!pvc?.metadata.deletionTimestamp) return;
    if (!pvc.metadata.finalizers?.includes(pvcProtectionFinalizer)) return;
    if (claimInUse(store, namespace, name)) return;
    store.mutate(Keys.pvc, namespace, name, (draft) => {
      draft.metadata.finalizers = (draft.metadata.finalizers ?? []).filter(
        (f) => f !== pvcProtectionFinalizer,
      );
    });
  };
  const queue = new WorkQueue(reconcile, options.onError);
  const onEvent = (event: StoreEvent): void => {
    const namespace = event.object.metadata.namespace ?? '';
    if (event.typeKey === Keys.pvc) queue.add(`${namespace}/${event.object.metadata.name ?? ''}`);
    if (event.typeKey === Keys.vmi)
      for (const claim of claimsOf(event.previous ?? event.object))
        queue.add(`${namespace}/${claim}`);
  };
  const unsubscribe = store.subscribe(onEvent);
  return {
    close: () => {
      unsubscribe();
      queue.close();
    },
  };
};
