// Login trust kept in one labelled ConfigMap in the session namespace: for each user and client
// that logged in, the SHA-256 of the pair (never the user name or the address) and when its trust
// expires. Watched by an informer, so every replica and every restart honours it.
import { createHash } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { LoginTrustStore } from '../backend/login-trust.ts';
import { systemClock } from '../util/clock.ts';
import { createKubeClients } from './client.ts';
import { statusCode, statusMessage } from './errors.ts';
import { Informer } from './informers.ts';
import { labelSelector, ownedLabels } from './ownership.ts';
import type { Meta } from './types.ts';
import type { NamespaceStoreOptions } from './session-store.ts';

export interface KubeLoginTrustStore extends LoginTrustStore {
  start(): void;
  stop(): void;
}

interface TrustConfigMap {
  metadata: Meta;
  data?: Record<string, string>;
}

export const loginTrustConfigMapName = 'kubevirt-redfish-login-trust';
const labels = ownedLabels('login-trust');
/** Entries kept at most; the soonest to expire are dropped first (a ConfigMap holds 1 MiB). */
const maxEntries = 2_000;

/** A ConfigMap data key for a trust key: hex, so any user name and address fit. */
const dataKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export const createKubeLoginTrustStore = (options: NamespaceStoreOptions): KubeLoginTrustStore => {
  const { namespace, logger } = options;
  const clock = options.clock ?? systemClock;
  const clients = createKubeClients({ kubeConfig: options.kubeConfig, metrics: options.metrics });
  const informer = new Informer<TrustConfigMap>({
    clients,
    resource: 'configmaps',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
    labelSelector: labelSelector(labels),
    clock,
    random: options.random ?? Math.random,
    logger,
    metrics: options.metrics,
  });
  const stored = () => informer.get(loginTrustConfigMapName)?.data ?? {};

  const patch = (data: Record<string, string | null>) =>
    clients.core.patchNamespacedConfigMap(
      { namespace, name: loginTrustConfigMapName, body: { data } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  /** The new entry, plus nulls (merge-patch deletions) for expired and surplus entries. */
  const change = (key: string, expiresAt: number): Record<string, string | null> => {
    const now = clock.now();
    const entries = Object.entries(stored())
      .map(([k, v]) => [k, Number(v)] as const)
      .filter(([k]) => k !== key);
    const expired = entries.filter(([, at]) => !(at > now));
    const live = entries.filter(([, at]) => at > now).sort((a, b) => b[1] - a[1]);
    const surplus = live.slice(maxEntries - 1);
    return {
      ...Object.fromEntries([...expired, ...surplus].map(([k]) => [k, null])),
      [key]: String(expiresAt),
    };
  };

  const write = async (key: string, expiresAt: number) => {
    const data = change(key, expiresAt);
    try {
      await patch(data);
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
      try {
        await clients.core.createNamespacedConfigMap({
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: loginTrustConfigMapName, labels },
            data: { [key]: String(expiresAt) },
          },
        });
      } catch (createError) {
        // Another replica created it first: patch that one.
        if (statusCode(createError) !== 409) throw createError;
        await patch(data);
      }
    }
  };

  return {
    start: () => informer.start(),
    stop: () => informer.stop(),
    expiresAt(key) {
      const value = stored()[dataKey(key)];
      return value === undefined ? undefined : Number(value);
    },
    save(key, expiresAt) {
      // In the background: a login must not wait for, or fail with, this bookkeeping. While it
      // is lost the limiter still trusts the client from memory.
      // The API's message, not a stack: a missing namespace or a missing permission is an
      // operator's matter, not a bug here.
      write(dataKey(key), expiresAt).catch((error: unknown) =>
        logger.warn({ namespace, err: statusMessage(error) }, 'could not record login trust'),
      );
    },
  };
};
