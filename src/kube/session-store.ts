// Redfish sessions kept in the cluster, one labelled Secret per session (only the token's SHA-256,
// never the token), watched by an informer so every replica sees every session; this replica's
// own creations and deletions show in its cache at once.
import { createHash } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { BackendError } from '../backend/errors.ts';
import type { SessionRecord, SessionStore } from '../backend/sessions.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { createKubeClients } from './client.ts';
import { statusCode, toBackendError } from './errors.ts';
import { Informer } from './informers.ts';
import { labelSelector, ownedLabels } from './ownership.ts';
import type { Meta, ObjectList } from './types.ts';

export interface KubeSessionStore extends SessionStore {
  start(): void;
  stop(): void;
  waitForSync(signal?: AbortSignal): Promise<void>;
}

interface SessionSecret {
  metadata: Meta;
  data?: Record<string, string>;
}

const labels = ownedLabels('session');
const selector = labelSelector(labels);
/** Label values hold at most 63 characters; a 63-hex-digit prefix of the digest is as good a key. */
const digestLabel = 'kubevirt-redfish.io/token-sha256';
const digestLabelValue = (digest: string) => digest.slice(0, 63);

/** Activity is written at most this often per session, to spare the API server. */
const touchEveryMs = 60_000;

/** A Secret name for a session id: the id itself when it is a valid DNS label, else its hash. */
export const sessionSecretName = (id: string): string =>
  /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(id)
    ? `redfish-session-${id}`
    : `redfish-session-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;

// Plain `data` rather than `stringData`, which some API servers do not merge on patch.
const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');

const fields = ['id', 'user', 'tokenSha256', 'createdAt', 'lastUsedAt'] as const;

const toRecord = (secret: SessionSecret): SessionRecord | undefined => {
  const values = fields.map((f) => {
    const raw = secret.data?.[f];
    return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
  });
  if (values.some((v) => v === undefined)) return undefined;
  const [id, user, tokenSha256, createdAt, lastUsedAt] = values as string[];
  return {
    id: id!,
    user: user!,
    tokenSha256: tokenSha256!,
    createdAt: createdAt!,
    lastUsedAt: lastUsedAt!,
  };
};

/** What every store kept in the sessions namespace needs (sessions, settings, login trust). */
export interface NamespaceStoreOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export const createKubeSessionStore = (options: NamespaceStoreOptions): KubeSessionStore => {
  const { namespace, logger } = options;
  const clock = options.clock ?? systemClock;
  const clients = createKubeClients({ kubeConfig: options.kubeConfig, metrics: options.metrics });
  // This replica's own writes until its watch shows them: a session answers 201 only once it is
  // readable and deletable here, even while the watch is down after an outage (issue 11 item 5),
  // and a deleted one stops counting towards its user's limit at once. The watch's word on a
  // session, whichever replica wrote it, ends the overlay.
  const created = new Map<string, SessionRecord>();
  const deleted = new Set<string>();
  // What cached() answers, rebuilt only after a change: findCached runs on every X-Auth-Token
  // request, and decoding every Secret each time made a token GET cost far more than a Basic
  // one (issue 12). Undefined until the next read after any change to the informer or overlay.
  let view:
    | { readonly records: readonly SessionRecord[]; readonly byDigest: Map<string, SessionRecord> }
    | undefined;
  const changed = () => {
    view = undefined;
  };
  const informer = new Informer<SessionSecret>({
    clients,
    resource: 'secrets',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
    labelSelector: selector,
    clock,
    random: options.random ?? Math.random,
    logger,
    metrics: options.metrics,
    onEvent: (type, secret) => {
      changed();
      const id = toRecord(secret)?.id;
      if (id === undefined) return;
      created.delete(id);
      if (type === 'delete') deleted.delete(id);
    },
  });
  const what = (id: string) => `session ${id}`;

  const current = () => {
    if (view !== undefined) return view;
    const seen = informer
      .list()
      .map(toRecord)
      .filter((r): r is SessionRecord => r !== undefined && !deleted.has(r.id));
    const records = [...seen, ...created.values()];
    const byDigest = new Map<string, SessionRecord>();
    // The first record of a digest wins, as a search of the list in order would find it.
    for (const r of records) if (!byDigest.has(r.tokenSha256)) byDigest.set(r.tokenSha256, r);
    view = { records, byDigest };
    return view;
  };
  const cached = (): readonly SessionRecord[] => current().records;

  const byId = (id: string) => cached().find((r) => r.id === id);

  return {
    start: () => informer.start(),
    stop: () => informer.stop(),
    waitForSync: (signal) => informer.waitForSync(signal),
    isReady: () => informer.isCurrent(),
    list: cached,

    async create(record) {
      try {
        await clients.core.createNamespacedSecret({
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Secret',
            type: 'Opaque',
            metadata: {
              name: sessionSecretName(record.id),
              labels: { ...labels, [digestLabel]: digestLabelValue(record.tokenSha256) },
            },
            data: Object.fromEntries(fields.map((f) => [f, base64(record[f])])),
          },
        });
      } catch (error) {
        // A create answers 404 only when the namespace is missing: not the session's fault, and
        // not a ResourceNotFound for the client (the start-up self-check reports it too).
        if (statusCode(error) === 404)
          throw new BackendError(
            'unavailable',
            `the sessions namespace ${namespace} does not exist`,
            {
              cause: error,
              retryAfterSeconds: 5,
            },
          );
        throw toBackendError(error, what(record.id));
      }
      // Unless the watch was quicker than the answer.
      if (!informer.get(sessionSecretName(record.id))) {
        created.set(record.id, record);
        changed();
      }
    },

    findCached: (tokenSha256) => current().byDigest.get(tokenSha256),

    async fetchByTokenDigest(tokenSha256) {
      // Made on another replica a moment ago, before our watch delivered it: ask the cluster.
      const query = new URLSearchParams({
        labelSelector: `${selector},${digestLabel}=${digestLabelValue(tokenSha256)}`,
      });
      try {
        const list = JSON.parse(
          await clients.request(
            'GET',
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets?${query.toString()}`,
          ),
        ) as ObjectList<SessionSecret>;
        return list.items.map(toRecord).find((r) => r?.tokenSha256 === tokenSha256);
      } catch (error) {
        throw toBackendError(error, 'session lookup');
      }
    },

    async touch(id, at) {
      const record = byId(id);
      if (record && Date.parse(at) - Date.parse(record.lastUsedAt) < touchEveryMs) return;
      try {
        await clients.core.patchNamespacedSecret(
          { namespace, name: sessionSecretName(id), body: { data: { lastUsedAt: base64(at) } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (error) {
        throw toBackendError(error, what(id));
      }
    },

    async delete(id) {
      try {
        await clients.core.deleteNamespacedSecret({ namespace, name: sessionSecretName(id) });
      } catch (error) {
        if (statusCode(error) !== 404) throw toBackendError(error, what(id));
      }
      created.delete(id);
      if (informer.get(sessionSecretName(id))) deleted.add(id);
      changed();
    },
  };
};
