// Service settings kept in one labelled ConfigMap in the session namespace, watched by an
// informer so every replica reads the same values from its cache.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ServiceSettings, SettingsStore } from '../backend/settings.ts';
import { systemClock } from '../util/clock.ts';
import { createKubeClients } from './client.ts';
import { statusCode, toBackendError } from './errors.ts';
import { Informer } from './informers.ts';
import { labelSelector, ownedLabels } from './ownership.ts';
import type { Meta } from './types.ts';
import type { NamespaceStoreOptions } from './session-store.ts';

export interface KubeSettingsStore extends SettingsStore {
  start(): void;
  stop(): void;
  waitForSync(signal?: AbortSignal): Promise<void>;
}

interface SettingsConfigMap {
  metadata: Meta;
  data?: Record<string, string>;
}

export const settingsConfigMapName = 'kubevirt-redfish-settings';
const labels = ownedLabels('settings');

/** ConfigMap data keys, one per setting. */
const keys = { sessionTimeoutSeconds: 'sessionTimeoutSeconds' } as const;

/** A value someone wrote by hand that is not a whole number is ignored, never half-applied. */
const integer = (text: string | undefined): number | undefined =>
  text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;

const toData = (change: ServiceSettings): Record<string, string> =>
  change.sessionTimeoutSeconds === undefined
    ? {}
    : { [keys.sessionTimeoutSeconds]: String(change.sessionTimeoutSeconds) };

export const createKubeSettingsStore = (options: NamespaceStoreOptions): KubeSettingsStore => {
  const { namespace } = options;
  const clients = createKubeClients({ kubeConfig: options.kubeConfig, metrics: options.metrics });
  const informer = new Informer<SettingsConfigMap>({
    clients,
    resource: 'configmaps',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
    labelSelector: labelSelector(labels),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    logger: options.logger,
    metrics: options.metrics,
  });

  const patch = (data: Record<string, string>) =>
    clients.core.patchNamespacedConfigMap(
      { namespace, name: settingsConfigMapName, body: { data } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  const create = (data: Record<string, string>) =>
    clients.core.createNamespacedConfigMap({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: settingsConfigMapName, labels },
        data,
      },
    });

  return {
    start: () => informer.start(),
    stop: () => informer.stop(),
    waitForSync: (signal) => informer.waitForSync(signal),
    isReady: () => informer.isCurrent(),

    get() {
      const seconds = integer(informer.get(settingsConfigMapName)?.data?.sessionTimeoutSeconds);
      return seconds === undefined ? {} : { sessionTimeoutSeconds: seconds };
    },

    async update(change, writeOptions = {}) {
      const data = toData(change);
      // Each fallback is a further API call; none is made for a client that has gone.
      const next = () => writeOptions.signal?.throwIfAborted();
      next();
      try {
        // A merge patch touches only the keys given, so concurrent changes of different
        // settings from two replicas both survive.
        await patch(data);
      } catch (error) {
        if (statusCode(error) !== 404) throw toBackendError(error, 'service settings');
        next();
        try {
          await create(data);
        } catch (createError) {
          // Another replica created it first: patch that one.
          if (statusCode(createError) !== 409)
            throw toBackendError(createError, 'service settings');
          next();
          await patch(data).catch((e: unknown) => {
            throw toBackendError(e, 'service settings');
          });
        }
      }
    },
  };
};
