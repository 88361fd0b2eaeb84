// The simulated CDI import controller: an http (or registry/blank) DataVolume gets a PVC it owns
// and moves Pending -> ImportScheduled -> ImportInProgress (progress "N/A", then "%.2f%%") ->
// Succeeded ("100.0%"), with conditions Bound/Ready/Running as CDI sets them. A failed transfer
// restarts the importer with backoff (restartCount rises, Running=False reason Error) and never
// reaches Failed (fidelity section 5).
import type { Clock } from '../../util/clock.ts';
import type { KubeObject, ObjectStore, StoreEvent } from '../types.ts';
import type { Delays } from './delays.ts';
import { fetchLoopback, isLoopback, succeedAll, type ImportRule } from './import-source.ts';
import { Keys, timestamp, type Condition } from './kubevirt-objects.ts';
import { StepTimers, WorkQueue, type ErrorSink } from './work-queue.ts';

export interface CdiImporterOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly delays: Delays;
  readonly importRule?: ImportRule;
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
  pvc?: StorageSpec & { volumeMode?: string };
  contentType?: string;
}
interface StorageSpec {
  accessModes?: string[];
  resources?: { requests?: { storage?: string } };
  storageClassName?: string;
  volumeMode?: string;
}
interface DataVolumeStatus {
  phase?: string;
  progress?: string;
  claimName?: string;
  restartCount?: number;
  conditions?: Condition[];
}

const defaultStorageClass = 'standard';
const progressOf = (fraction: number): string => `${(Math.min(fraction, 1) * 100).toFixed(2)}%`;

export const startCdiImporter = (options: CdiImporterOptions): CdiImporter => {
  const { store, clock, delays } = options;
  const rule = options.importRule ?? succeedAll;
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

  const ensurePvc = (dv: KubeObject, spec: DataVolumeSpec): void => {
    const { namespace, name = '' } = dv.metadata;
    if (store.get(Keys.pvc, namespace, name)) return;
    const storage = spec.storage ?? spec.pvc ?? {};
    const url = spec.source?.http?.url ?? spec.source?.registry?.url;
    store.create(Keys.pvc, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: namespace ?? '',
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
        accessModes: storage.accessModes ?? ['ReadWriteOnce'],
        resources: { requests: { storage: storage.resources?.requests?.storage ?? '1Gi' } },
        storageClassName: storage.storageClassName ?? defaultStorageClass,
        volumeMode: storage.volumeMode ?? 'Filesystem',
      },
      status: { phase: 'Pending' },
    });
  };

  const bindPvc = (dv: KubeObject): void => {
    const { namespace, name = '' } = dv.metadata;
    const pvc = store.get(Keys.pvc, namespace, name);
    if (!pvc || (pvc.status as { phase?: string } | undefined)?.phase === 'Bound') return;
    const spec = pvc.spec as StorageSpec;
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

  const fail = (dv: KubeObject, detail: string): void =>
    writeStatus(dv, (status) => {
      status.restartCount = (status.restartCount ?? 0) + 1;
      status.conditions = [
        condition('Bound', 'True', 'Bound', `PVC ${dv.metadata.name ?? ''} Bound`),
        condition('Ready', 'False'),
        condition('Running', 'False', 'Error', `Unable to connect to http data source: ${detail}`),
      ];
    });

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
        if (!secret) return finish(`secrets "${http.secretRef}" not found`);
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
      const cancel = fetchLoopback(
        {
          url,
          ...(basicAuth ? { basicAuth } : {}),
          ...(http.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
          ...(caPem ? { caPem } : {}),
        },
        {
          onProgress: (read, total) => {
            if (total === undefined || clock.now() - lastWrite < delays.importProgressInterval)
              return;
            lastWrite = clock.now();
            const current = store.get(Keys.dv, namespace, dv.metadata.name ?? '');
            if (current?.metadata.uid === uid) setProgress(current, progressOf(read / total));
          },
          onDone: finish,
        },
      );
      transfers.set(key, { uid, cancel });
      return;
    }
    const outcome = url ? rule(url) : { result: 'succeed' as const };
    if (outcome.result === 'fail') return finish(outcome.message);
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

    switch (status.phase ?? '') {
      case '':
        ensurePvc(dv, spec);
        writeStatus(dv, (s) => {
          s.phase = 'Pending';
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
      case 'Pending':
        later('scheduled', delays.importScheduled, (current) => {
          bindPvc(current);
          writeStatus(current, (s) => {
            s.phase = 'ImportScheduled';
            s.conditions = [
              condition('Bound', 'True', 'Bound', `PVC ${name} Bound`),
              condition('Ready', 'False'),
              condition('Running', 'False', 'Pending'),
            ];
          });
        });
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
    if (event.typeKey === Keys.dv) queue.add(keyOf(event.object));
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
