// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// background work that must run once per cluster (leftover and session sweeps) runs only on the
// replica holding the Lease. Every write carries the resourceVersion it was computed from, so of
// two replicas racing for a free or expired Lease the API server lets exactly one win (409).
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import { statusCode, statusMessage } from './errors.ts';
import type { Meta } from './types.ts';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: Meta;
  spec?: LeaseSpec;
}

export interface LeaderElection {
  /** True while this replica holds the Lease and renewed it within the lease duration. */
  isLeader(): boolean;
  /** Stops campaigning; a leader hands the Lease back so another replica takes over at once. */
  stop(): Promise<void>;
}

export interface LeaderElectionOptions {
  readonly clients: KubeClients;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (the pod name plus a random suffix). */
  readonly identity: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a holder that stopped renewing keeps the Lease (client-go default 15 s). */
  readonly leaseDurationMs?: number;
  /** How often the holder renews and the others look (client-go default 2 s). */
  readonly retryPeriodMs?: number;
  /** Called each time this replica becomes leader (e.g. to sweep at once). */
  readonly onStartedLeading?: () => void;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

export const startLeaderElection = (options: LeaderElectionOptions): LeaderElection => {
  const { clients, namespace, name, identity, clock, logger } = options;
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const path = `${collection}/${encodeURIComponent(name)}`;
  /** When this replica last renewed successfully; leadership ends a lease duration later. */
  let renewedAt: number | undefined;
  /** The other holder's Lease as last seen, and when (by our clock: replicas' clocks may
   *  disagree, so expiry is judged by how long the Lease has not changed, not by renewTime). */
  let observed: { resourceVersion: string; at: number } | undefined;
  let stopped = false;
  let cancel: (() => void) | undefined;
  let pending: Promise<void> = Promise.resolve();

  const isLeader = () => renewedAt !== undefined && clock.now() - renewedAt < leaseDurationMs;

  const spec = (previous: LeaseSpec | undefined, now: number, acquired: boolean): LeaseSpec => ({
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
    acquireTime: acquired ? microTime(now) : (previous?.acquireTime ?? microTime(now)),
    renewTime: microTime(now),
    leaseTransitions: (previous?.leaseTransitions ?? 0) + (acquired && previous ? 1 : 0),
  });

  const read = async (): Promise<Lease | undefined> => {
    try {
      return JSON.parse(await clients.request('GET', path)) as Lease;
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  };

  /** One round: create, renew or take over the Lease; false when another replica holds it. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const now = clock.now();
    const lease = await read();
    if (!lease) {
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: spec(undefined, now, true),
      };
      await clients.request('POST', collection, body);
      return true;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const version = lease.metadata.resourceVersion ?? '';
    if (holder !== identity && holder !== '') {
      if (observed?.resourceVersion !== version) observed = { resourceVersion: version, at: now };
      const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000 || leaseDurationMs;
      if (now - observed.at < duration) return false;
    }
    const next: Lease = {
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: version },
      spec: spec(lease.spec, now, holder !== identity),
    };
    await clients.request('PUT', path, next);
    return true;
  };

  const round = async (): Promise<void> => {
    const wasLeader = isLeader();
    try {
      if (await tryAcquireOrRenew()) {
        renewedAt = clock.now();
        observed = undefined;
      } else {
        renewedAt = undefined;
      }
    } catch (error) {
      // 409: another replica wrote first; it holds the Lease now.
      if (statusCode(error) === 409) renewedAt = undefined;
      else logger.warn({ err: statusMessage(error), lease: name }, 'leader lease update failed');
    }
    const leader = isLeader();
    if (leader && !wasLeader) {
      logger.info({ identity, lease: `${namespace}/${name}` }, 'became leader');
      options.onStartedLeading?.();
    } else if (!leader && wasLeader) {
      logger.info({ identity, lease: `${namespace}/${name}` }, 'lost leadership');
    }
  };

  const schedule = (delayMs: number) => {
    if (stopped) return;
    cancel = clock.setTimeout(() => {
      pending = round().finally(() => schedule(retryPeriodMs));
    }, delayMs);
  };
  schedule(0);

  return {
    isLeader,
    async stop() {
      stopped = true;
      cancel?.();
      await pending;
      if (!isLeader()) return;
      renewedAt = undefined;
      try {
        // client-go's ReleaseOnCancel: an empty holder lets the next replica take over now.
        const lease = await read();
        if (lease?.spec?.holderIdentity === identity)
          await clients.request('PUT', path, {
            ...lease,
            spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
          });
      } catch (error) {
        logger.warn(
          { err: statusMessage(error), lease: name },
          'releasing the leader lease failed',
        );
      }
    },
  };
};
