// The simulated CDI import controller: an http (or registry/blank) DataVolume gets a PVC it owns
// and moves Pending -> ImportScheduled -> ImportInProgress (progress "N/A", then "%.2f%%") ->
// Succeeded ("100.0%"), with conditions Bound/Ready/Running as CDI sets them. A failed transfer
// restarts the importer with backoff (restartCount rises, Running=False reason Error) and never
// reaches Failed (fidelity section 5). Storage as CDI meets it: a claim it cannot complete
// (ErrClaimNotValid), WaitForFirstConsumer classes (PendingPopulation until a VMI uses the
// volume), an image larger than the claim, an old claim of the same name still terminating.
import type { Clock } from '../../util/clock.ts';
import type { KubeObject, ObjectStore, StoreEvent } from '../types.ts';
import type { Delays } from './delays.ts';
import { TypeKeys } from '../resource-types.ts';
import { renderClaim, quantityBytes, type RenderedClaim, type StorageSpec } from './cdi-claim.ts';
import { createEventRecorder } from './event-recorder.ts';
import { fetchLoopback, isLoopback, succeedAll, type ImportRule } from './import-source.ts';
import { Keys, timestamp, type Condition } from './kubevirt-objects.ts';
import { claimInUse, claimsOf, pvcProtectionFinalizer } from './pvc-protection.ts';
import { simulatedNode } from './vmi-status.ts';
import { StepTimers, WorkQueue, type ErrorSink } from './work-queue.ts';

export interface CdiImporterOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly delays: Delays;
  readonly importRule?: ImportRule;
  /** Virtual size of images from non-loopback URLs whose rule names none; absent: they fit. */
  readonly imageSizeBytes?: number;
  readonly onError: ErrorSink;
}

export interface CdiImporter {
  close(): void;
}

interface DataVolumeSpec {
  source?: {
    http?: {
      url: string;
      secretRef?: string;
      certConfigMap?: string;
      insecureSkipVerify?: boolean;
    };
    registry?: { url?: string };
    blank?: object;
  };
  storage?: StorageSpec;
  pvc?: StorageSpec;
  contentType?: string;
}
interface DataVolumeStatus {
  phase?: string;
  progress?: string;
  claimName?: string;
  restartCount?: number;
  conditions?: Condition[];
}

const progressOf = (fraction: number): string => `${(Math.min(fraction, 1) * 100).toFixed(2)}%`;

/** CDI's default filesystem overhead: the part of a Filesystem claim an image may not use. */
const filesystemOverhead = 0.055;

/** CDI annotations: bind at once on WaitForFirstConsumer storage; the node a consumer chose. */
const immediateBindAnnotation = 'cdi.kubevirt.io/storage.bind.immediate.requested';
const selectedNodeAnnotation = 'volume.kubernetes.io/selected-node';

/** The importer's termination message when the image does not fit (pkg/image/qemu.go). */
const tooLargeMessage = (virtualSize: number, available: number): string =>
  `Unable to process data: virtual image size ${virtualSize} is larger than the reported available storage ${available}. A larger PVC is required`;

/** What CDI shows of an importer's termination message (pkg/controller util.go
 *  simplifyKnownMessage): out-of-space failures read the same, whatever the importer said. */
const simplifyKnownMessage = (message: string): string =>
  [
    'is larger than the reported available',
    'no space left on device',
    'file largest block is bigger than maxblock',
    'disk quota exceeded',
  ].some((known) => message.includes(known))
    ? 'DataVolume too small to contain image'
    : message;

export const startCdiImporter = (options: CdiImporterOptions): CdiImporter => {
  const { store, clock, delays } = options;
  const rule = options.importRule ?? succeedAll;
  const recorder = createEventRecorder({ store, clock, component: 'datavolume-import-controller' });
  const timers = new StepTimers(clock);
  const transfers = new Map<string, { uid: string; cancel: () => void }>();
  const now = (): string => timestamp(clock.now());
  const split = (key: string): [string, string] => {
    const at = key.indexOf('/');
    return [key.slice(0, at), key.slice(at + 1)];
  };

  const condition = (
    type: string,
    status: 'True' | 'False',
    reason?: string,
    message?: string,
  ): Condition => ({
    type,
    status,
    ...(reason !== undefined ? { reason } : {}),
    ...(message !== undefined ? { message } : {}),
  });

  /** Writes the DV status if the DV is still the one (uid) the change was planned for; keeps
   *  lastTransitionTime of conditions whose status did not change. */
  const writeStatus = (dv: KubeObject, change: (status: DataVolumeStatus) => void): void => {
    const { namespace, name, uid } = dv.metadata;
    const current = store.get(Keys.dv, namespace, name ?? '');
    if (!current || current.metadata.uid !== uid || current.metadata.deletionTimestamp) return;
    store.mutate(
      Keys.dv,
      namespace,
      name ?? '',
      (draft) => {
        const before = (draft.status ?? {}) as DataVolumeStatus;
        const status: DataVolumeStatus = structuredClone(before);
        change(status);
        const stamp = now();
        status.conditions = (status.conditions ?? []).map((c) => {
          const old = before.conditions?.find((o) => o.type === c.type);
          const same =
            old && old.status === c.status && old.reason === c.reason && old.message === c.message;
          return {
            ...c,
            lastTransitionTime:
              old && old.status === c.status ? (old.lastTransitionTime ?? stamp) : stamp,
            lastHeartbeatTime: same ? (old.lastHeartbeatTime ?? stamp) : stamp,
          };
        });
        draft.status = status;
      },
      { subresource: 'status' },
    );
  };

  const ensurePvc = (dv: KubeObject, spec: DataVolumeSpec, claim: RenderedClaim): void => {
    const { namespace, name = '' } = dv.metadata;
    if (store.get(Keys.pvc, namespace, name)) return;
    const url = spec.source?.http?.url ?? spec.source?.registry?.url;
    store.create(Keys.pvc, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: namespace ?? '',
        // The API server's admission adds it; it keeps a claim a pod still uses.
        finalizers: [pvcProtectionFinalizer],
        labels: { app: 'containerized-data-importer', 'app.kubernetes.io/component': 'storage' },
        annotations: {
          ...(url ? { 'cdi.kubevirt.io/storage.import.endpoint': url } : {}),
          'cdi.kubevirt.io/storage.import.source': spec.source?.http
            ? 'http'
            : spec.source?.registry
              ? 'registry'
              : 'none',
          'cdi.kubevirt.io/storage.contentType': spec.contentType ?? 'kubevirt',
        },
        ownerReferences: [
          {
            apiVersion: 'cdi.kubevirt.io/v1beta1',
            kind: 'DataVolume',
            name,
            uid: dv.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        accessModes: claim.accessModes,
        resources: { requests: { storage: claim.storage } },
        ...(claim.storageClassName !== undefined
          ? { storageClassName: claim.storageClassName }
          : {}),
        volumeMode: claim.volumeMode,
      },
      status: { phase: 'Pending' },
    });
  };

  const bindPvc = (dv: KubeObject): void => {
    const { namespace, name = '' } = dv.metadata;
    const pvc = store.get(Keys.pvc, namespace, name);
    if (!pvc || (pvc.status as { phase?: string } | undefined)?.phase === 'Bound') return;
    const spec = pvc.spec as StorageSpec;
    // Nothing provisions a claim of a class that does not exist: it stays Pending.
    if (!store.get(TypeKeys.storageClasses, undefined, spec.storageClassName ?? '')) return;
    store.mutate(
      Keys.pvc,
      namespace,
      name,
      (draft) =>
        void (draft.status = {
          phase: 'Bound',
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
        }),
      { subresource: 'status' },
    );
  };

  const succeed = (dv: KubeObject): void =>
    writeStatus(dv, (status) => {
      status.phase = 'Succeeded';
      status.progress = '100.0%';
      status.conditions = [
        condition('Bound', 'True', 'Bound', `PVC ${dv.metadata.name ?? ''} Bound`),
        condition('Ready', 'True'),
        condition('Running', 'False', 'Completed', 'Import Complete'),
      ];
    });

  /** The importer container ended with `termination` (its message) and exit code 1. */
  const fail = (dv: KubeObject, termination: string): void => {
    const message = simplifyKnownMessage(termination);
    writeStatus(dv, (status) => {
      status.restartCount = (status.restartCount ?? 0) + 1;
      status.conditions = [
        condition('Bound', 'True', 'Bound', `PVC ${dv.metadata.name ?? ''} Bound`),
        condition('Ready', 'False'),
        condition('Running', 'False', 'Error', message),
      ];
    });
    // emitFailureConditionEvent: bound, not ready, not running, with a new message.
    recorder.event(dv, 'Warning', 'Error', message);
  };

  /** Bytes an image may take in the claim (its capacity less CDI's filesystem overhead). */
  const availableBytes = (dv: KubeObject): number => {
    const pvc = store.get(Keys.pvc, dv.metadata.namespace, dv.metadata.name ?? '');
    const spec = (pvc?.spec ?? {}) as StorageSpec;
    const capacity = quantityBytes(spec.resources?.requests?.storage) ?? 0;
    return spec.volumeMode === 'Block' ? capacity : Math.floor(capacity * (1 - filesystemOverhead));
  };
  const sizeError = (dv: KubeObject, virtualSize: number | undefined): string | undefined => {
    if (virtualSize === undefined) return undefined;
    const available = availableBytes(dv);
    return virtualSize > available ? tooLargeMessage(virtualSize, available) : undefined;
  };

  const setProgress = (dv: KubeObject, progress: string): void =>
    writeStatus(dv, (status) => {
      if (status.phase === 'ImportInProgress') status.progress = progress;
    });

  const secretValue = (secret: KubeObject | undefined, key: string): string | undefined => {
    const data = (secret?.data ?? {}) as Record<string, string>;
    return data[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
  };

  /** Runs one importer pod: a real download for loopback URLs, a simulated one otherwise. */
  const transfer = (key: string, dv: KubeObject, spec: DataVolumeSpec): void => {
    const uid = dv.metadata.uid ?? '';
    const namespace = dv.metadata.namespace;
    /** `error`: the importer's termination message. */
    const finish = (error: string | undefined): void => {
      transfers.delete(key);
      const current = store.get(Keys.dv, namespace, dv.metadata.name ?? '');
      if (current?.metadata.uid !== uid) return;
      if (error === undefined) succeed(current);
      else fail(current, error);
    };
    const http = spec.source?.http;
    const url = http ? URL.parse(http.url) : undefined;
    if (http && url && isLoopback(url)) {
      let basicAuth: { user: string; password: string } | undefined;
      if (http.secretRef) {
        const secret = store.get(Keys.secret, namespace, http.secretRef);
        if (!secret)
          return finish(
            `Unable to connect to http data source: secrets "${http.secretRef}" not found`,
          );
        basicAuth = {
          user: secretValue(secret, 'accessKeyId') ?? '',
          password: secretValue(secret, 'secretKey') ?? '',
        };
      }
      const caPem = http.certConfigMap
        ? Object.values(
            (store.get('configmaps', namespace, http.certConfigMap)?.data ?? {}) as Record<
              string,
              string
            >,
          ).join('\n')
        : undefined;
      let lastWrite = Number.NEGATIVE_INFINITY;
      let sized = false;
      const cancel = fetchLoopback(
        {
          url,
          ...(basicAuth ? { basicAuth } : {}),
          ...(http.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
          ...(caPem ? { caPem } : {}),
        },
        {
          onProgress: (read, total) => {
            // qemu-img info reads the image's size before any byte is written.
            const tooLarge = sized ? undefined : sizeError(dv, total);
            sized = true;
            if (tooLarge !== undefined) {
              cancel();
              return finish(tooLarge);
            }
            if (total === undefined || clock.now() - lastWrite < delays.importProgressInterval)
              return;
            lastWrite = clock.now();
            const current = store.get(Keys.dv, namespace, dv.metadata.name ?? '');
            if (current?.metadata.uid === uid) setProgress(current, progressOf(read / total));
          },
          onDone: (error) =>
            finish(
              error === undefined ? undefined : `Unable to connect to http data source: ${error}`,
            ),
        },
      );
      transfers.set(key, { uid, cancel });
      return;
    }
    const outcome = url ? rule(url) : { result: 'succeed' as const };
    if (outcome.result === 'fail')
      return finish(`Unable to connect to http data source: ${outcome.message}`);
    const tooLarge = sizeError(dv, outcome.sizeBytes ?? options.imageSizeBytes);
    if (tooLarge !== undefined) return finish(tooLarge);
    const duration = outcome.durationMs ?? delays.importDuration;
    const started = clock.now();
    const tick = (): void => {
      const elapsed = clock.now() - started;
      if (elapsed >= duration) return finish(undefined);
      const current = store.get(Keys.dv, namespace, dv.metadata.name ?? '');
      if (current?.metadata.uid !== uid) return;
      setProgress(current, progressOf(elapsed / duration));
      timers.schedule(
        `${key}#transfer`,
        `${uid}:${elapsed}`,
        Math.min(delays.importProgressInterval || duration, duration - elapsed),
        tick,
      );
    };
    transfers.set(key, { uid, cancel: () => timers.cancel(`${key}#transfer`) });
    timers.schedule(
      `${key}#transfer`,
      `${uid}:start`,
      Math.min(delays.importProgressInterval || duration, duration),
      tick,
    );
  };

  const stop = (key: string): void => {
    transfers.get(key)?.cancel();
    transfers.delete(key);
    timers.cancel(key);
    timers.cancel(`${key}#transfer`);
  };

  const reconcile = (key: string): void => {
    const [namespace, name] = split(key);
    const dv = store.get(Keys.dv, namespace, name);
    if (!dv || dv.metadata.deletionTimestamp) return stop(key);
    const spec = (dv.spec ?? {}) as DataVolumeSpec;
    if (!spec.source?.http && !spec.source?.registry && !spec.source?.blank) return;
    const uid = dv.metadata.uid ?? '';
    const running = transfers.get(key);
    if (running && running.uid !== uid) stop(key);
    const status = (dv.status ?? {}) as DataVolumeStatus;
    const later = (step: string, delay: number, run: (current: KubeObject) => void): void =>
      timers.schedule(key, `${uid}:${step}`, delay, () => {
        const current = store.get(Keys.dv, namespace, name);
        if (current?.metadata.uid === uid) run(current);
      });

    const schedule = (): void =>
      later('scheduled', delays.importScheduled, (current) => {
        bindPvc(current);
        const pvc = store.get(Keys.pvc, namespace, name);
        if ((pvc?.status as { phase?: string } | undefined)?.phase !== 'Bound') return;
        writeStatus(current, (s) => {
          s.phase = 'ImportScheduled';
          s.conditions = [
            condition('Bound', 'True', 'Bound', `PVC ${name} Bound`),
            condition('Ready', 'False'),
            condition('Running', 'False', 'Pending'),
          ];
        });
      });

    switch (status.phase ?? '') {
      case '': {
        const existing = store.get(Keys.pvc, namespace, name);
        if (existing?.metadata.deletionTimestamp) {
          // validatePVC: wait until the old claim of this name is gone (a pod still uses it).
          recorder.event(
            dv,
            'Warning',
            'ErrResourceMarkedForDeletion',
            `Resource "${name}" marked for deletion`,
          );
          // updateStatus still derives the conditions from the claim it finds: the old one.
          const bound = (existing.status as { phase?: string } | undefined)?.phase === 'Bound';
          const conditions = [
            bound
              ? condition('Bound', 'True', 'Bound', `PVC ${name} Bound`)
              : condition('Bound', 'False', 'Pending', `PVC ${name} Pending`),
            condition('Ready', 'False'),
            condition('Running', 'False'),
          ];
          const same = conditions.every((c) =>
            status.conditions?.some(
              (o) => o.type === c.type && o.status === c.status && o.message === c.message,
            ),
          );
          if (!same) writeStatus(dv, (s) => void (s.conditions = conditions));
          return;
        }
        const claim = renderClaim(store, dv, spec);
        if (!claim.ok) {
          const bound = status.conditions?.find((c) => c.type === 'Bound');
          if (bound?.reason === 'ErrClaimNotValid' && bound.message === claim.error) return;
          for (const message of claim.events)
            recorder.event(dv, 'Warning', 'ErrClaimNotValid', message);
          // The phase stays unset and no PVC is made; a StorageClass or profile change retries.
          writeStatus(dv, (s) => {
            s.conditions = [
              condition('Bound', 'False', 'ErrClaimNotValid', claim.error),
              condition('Ready', 'False'),
              condition('Running', 'False'),
            ];
          });
          return;
        }
        ensurePvc(dv, spec, claim);
        const waiting =
          claim.waitForFirstConsumer &&
          dv.metadata.annotations?.[immediateBindAnnotation] === undefined;
        writeStatus(dv, (s) => {
          s.phase = !waiting
            ? 'Pending'
            : claim.populator
              ? 'PendingPopulation'
              : 'WaitForFirstConsumer';
          s.progress = 'N/A';
          s.claimName = name;
          s.restartCount = 0;
          s.conditions = [
            condition('Bound', 'False', 'Pending', `PVC ${name} Pending`),
            condition('Ready', 'False'),
            condition('Running', 'False'),
          ];
        });
        return;
      }
      case 'PendingPopulation':
      case 'WaitForFirstConsumer':
        // The scheduler picks a node for the claim once a pod using it (virt-launcher) exists.
        if (!claimInUse(store, namespace ?? '', name)) return;
        store.mutate(Keys.pvc, namespace, name, (draft) => {
          draft.metadata.annotations = {
            ...draft.metadata.annotations,
            [selectedNodeAnnotation]: simulatedNode,
          };
        });
        schedule();
        return;
      case 'Pending':
        schedule();
        return;
      case 'ImportScheduled':
        later('inProgress', delays.importStart, (current) =>
          writeStatus(current, (s) => {
            s.phase = 'ImportInProgress';
            s.conditions = [
              condition('Bound', 'True', 'Bound', `PVC ${name} Bound`),
              condition('Ready', 'False', 'TransferRunning'),
              condition('Running', 'True', 'Pod is running'),
            ];
          }),
        );
        return;
      case 'ImportInProgress': {
        if (transfers.has(key)) return;
        const runningCondition = status.conditions?.find((c) => c.type === 'Running');
        if (runningCondition?.status === 'False' && runningCondition.reason === 'Error') {
          // The importer pod restarts with CrashLoopBackOff-style doubling backoff.
          const restarts = status.restartCount ?? 1;
          const backoff = Math.min(
            delays.importRetryBackoff * 2 ** Math.max(0, restarts - 1),
            delays.importRetryBackoffMax,
          );
          later(`retry:${restarts}`, backoff, (current) =>
            writeStatus(current, (s) => {
              s.conditions = (s.conditions ?? []).map((c) =>
                c.type === 'Running'
                  ? condition('Running', 'True', 'Pod is running')
                  : c.type === 'Ready'
                    ? condition('Ready', 'False', 'TransferRunning')
                    : c,
              );
            }),
          );
          return;
        }
        transfer(key, dv, spec);
        return;
      }
      default:
        stop(key);
    }
  };

  const queue = new WorkQueue(reconcile, options.onError);
  const keyOf = (object: KubeObject): string =>
    `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
  const onEvent = (event: StoreEvent): void => {
    const { object } = event;
    switch (event.typeKey) {
      case Keys.dv:
        return queue.add(keyOf(object));
      // A claim of the same name going away; a VMI (its pod) consuming a waiting volume.
      case Keys.pvc:
        if (event.type === 'DELETED') queue.add(keyOf(object));
        return;
      case Keys.vmi:
        for (const claim of claimsOf(object))
          queue.add(`${object.metadata.namespace ?? ''}/${claim}`);
        return;
      // CDI watches classes and profiles: a claim it could not render may be renderable now.
      case TypeKeys.storageClasses:
      case TypeKeys.storageProfiles:
        for (const dv of store.list(Keys.dv).items)
          if (!(dv.status as DataVolumeStatus | undefined)?.phase) queue.add(keyOf(dv));
        return;
    }
  };
  const unsubscribe = store.subscribe(onEvent);
  for (const dv of store.list(Keys.dv).items) queue.add(keyOf(dv));

  return {
    close: () => {
      unsubscribe();
      queue.close();
      for (const key of [...transfers.keys()]) stop(key);
      timers.clear();
    },
  };
};
