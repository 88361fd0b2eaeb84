// What the connected cluster can do, discovered rather than assumed: the KubeVirt CR's release
// (status.observedKubeVirtVersion) and feature-gate lists, whether CDI's API is served and
// CDI's release; followed at run time through informers on the operators' CRs. A config
// override stands in where the CR cannot be read. CDI may be installed or removed while the
// service runs: whether its API group is served is asked again periodically (discovery needs no
// permission beyond being authenticated; watching CRDs would need a cluster-wide read). Gate rules: kubevirt/kubevirt
// pkg/virt-config/featuregate (feature-gates.go): GA always on; listed = on; listed as disabled
// = off; Beta on by default from v1.9; Alpha off unless listed.
import type { BackendCapabilities } from '../backend/port.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Clock } from '../util/clock.ts';
import type { KubeClients } from './client.ts';
import { statusCode, statusMessage } from './errors.ts';
import { Informer } from './informers.ts';
import type { Meta, ObjectList } from './types.ts';

/** What was found about the cluster, and where it came from. */
export interface ClusterFacts {
  /** cluster: read from the CRs; config: the `cluster` override; unknown: the CR was unreadable. */
  readonly source: 'cluster' | 'config' | 'unknown';
  /** KubeVirt release, e.g. 'v1.8.4'; undefined when unknown. */
  readonly kubevirtVersion?: string;
  readonly featureGates: readonly string[];
  readonly disabledFeatureGates: readonly string[];
  /** CDI's API (cdi.kubevirt.io) is served. */
  readonly cdi: boolean;
  /** CDI release, e.g. 'v1.66.0'; undefined when CDI is absent or its CR unreadable. */
  readonly cdiVersion?: string;
}

/** The `cluster` section of the config: facts to use instead of reading the CRs. */
export interface ClusterOverride {
  readonly kubevirtVersion: string;
  readonly featureGates: readonly string[];
  readonly disabledFeatureGates: readonly string[];
  /** CDI's release, or 'none' when CDI is not installed; undefined: discover it. */
  readonly cdiVersion?: string;
}

type Version = readonly [number, number];

export const parseVersion = (text: string | undefined): Version | undefined => {
  const match = /^v?(\d+)\.(\d+)/.exec(text ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
};

const atLeast = (version: Version, major: number, minor: number): boolean =>
  version[0] > major || (version[0] === major && version[1] >= minor);

/** The gates this service depends on and their maturity per release (from the gate tables of
 *  v1.6.6 to v1.9.0; a test keeps this in step with shared/kubevirt-api). */
const gateMaturity: Readonly<Record<string, (v: Version) => 'absent' | 'Alpha' | 'Beta'>> = {
  RebootPolicy: (v) => (atLeast(v, 1, 9) ? 'Beta' : atLeast(v, 1, 8) ? 'Alpha' : 'absent'),
  DeclarativeHotplugVolumes: (v) =>
    atLeast(v, 1, 9) ? 'Beta' : atLeast(v, 1, 6) ? 'Alpha' : 'absent',
};

/** The gates reported in logs, metrics and /readyz. */
export const trackedGates = Object.keys(gateMaturity);

/** Whether `gate` (one of trackedGates) is on; false when the release is unknown. */
export const gateEnabled = (facts: ClusterFacts, gate: string): boolean => {
  const version = parseVersion(facts.kubevirtVersion);
  const maturity = version ? gateMaturity[gate]?.(version) : undefined;
  if (!version || maturity === undefined || maturity === 'absent') return false;
  if (facts.disabledFeatureGates.includes(gate)) return false;
  if (facts.featureGates.includes(gate)) return true;
  return maturity === 'Beta' && atLeast(version, 1, 9);
};

/** CDI accepts http.insecureSkipVerify on a DataVolume from v1.66. */
export const cdiHasInsecureSkipVerify = (facts: ClusterFacts): boolean | undefined => {
  const version = parseVersion(facts.cdiVersion);
  return version ? atLeast(version, 1, 66) : undefined;
};

/**
 * What the backend may use. An unknown release counts as the oldest supported one: nothing is
 * written that such a cluster would prune or deny.
 */
export const capabilitiesOf = (facts: ClusterFacts): BackendCapabilities => ({
  nmi: false,
  // An empty CD-ROM drive, and media swaps on a running VM, need declarative hotplug.
  cdromHotplug: gateEnabled(facts, 'DeclarativeHotplugVolumes'),
  // rebootPolicy exists from v1.8 and is admitted only with its gate.
  rebootPolicyTerminate: gateEnabled(facts, 'RebootPolicy'),
  virtualMedia: facts.cdi,
});

export const describeFacts = (facts: ClusterFacts): Record<string, unknown> => ({
  source: facts.source,
  kubevirtVersion: facts.kubevirtVersion ?? 'unknown',
  gates: Object.fromEntries(trackedGates.map((g) => [g, gateEnabled(facts, g)])),
  cdi: facts.cdi ? (facts.cdiVersion ?? 'installed, version unknown') : 'not installed',
});

interface KubeVirtCr {
  metadata: Meta;
  spec?: {
    configuration?: {
      developerConfiguration?: { featureGates?: string[]; disabledFeatureGates?: string[] };
    };
  };
  status?: { observedKubeVirtVersion?: string };
}

interface CdiCr {
  metadata: Meta;
  status?: { observedVersion?: string };
}

const kubevirtPath = '/apis/kubevirt.io/v1/kubevirts';
const cdiGroupPath = '/apis/cdi.kubevirt.io/v1beta1';
const cdiPath = `${cdiGroupPath}/cdis`;

export interface ClusterCapabilities {
  /** Discovers the facts once (awaited at start), then follows the CRs. */
  start(): Promise<void>;
  stop(): void;
  facts(): ClusterFacts;
  capabilities(): BackendCapabilities;
  /** Called after the facts changed at run time. */
  onChange(listener: (facts: ClusterFacts) => void): void;
}

export interface ClusterCapabilitiesOptions {
  readonly clients: KubeClients;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly override?: ClusterOverride;
  /** How often to ask whether CDI's API appeared or went; default one minute. */
  readonly cdiDiscoveryIntervalMs?: number;
}

export const defaultCdiDiscoveryIntervalMs = 60_000;

export const createClusterCapabilities = (
  options: ClusterCapabilitiesOptions,
): ClusterCapabilities => {
  const { clients, logger, metrics, override } = options;
  let facts: ClusterFacts = override
    ? {
        source: 'config',
        kubevirtVersion: override.kubevirtVersion,
        featureGates: override.featureGates,
        disabledFeatureGates: override.disabledFeatureGates,
        cdi: override.cdiVersion !== 'none',
        ...(override.cdiVersion && override.cdiVersion !== 'none'
          ? { cdiVersion: override.cdiVersion }
          : {}),
      }
    : { source: 'unknown', featureGates: [], disabledFeatureGates: [], cdi: false };
  let current = capabilitiesOf(facts);
  const listeners: ((facts: ClusterFacts) => void)[] = [];
  const informers: Informer<{ metadata: Meta }>[] = [];
  let cdiInformer: Informer<{ metadata: Meta }> | undefined;
  let cancelPoll: (() => void) | undefined;
  let stopped = false;

  const publish = (): void => {
    metrics.clusterInfo.reset();
    metrics.clusterInfo.set(
      {
        source: facts.source,
        kubevirt_version: facts.kubevirtVersion ?? 'unknown',
        cdi_version: facts.cdi ? (facts.cdiVersion ?? 'unknown') : 'none',
      },
      1,
    );
    for (const gate of trackedGates)
      metrics.featureGateEnabled.set({ gate }, gateEnabled(facts, gate) ? 1 : 0);
  };

  const update = (next: ClusterFacts, why: string): void => {
    if (JSON.stringify(next) === JSON.stringify(facts)) return;
    facts = next;
    current = capabilitiesOf(facts);
    publish();
    logger.info({ cluster: describeFacts(facts) }, why);
    for (const listener of listeners) listener(facts);
  };

  const fromKubeVirt = (cr: KubeVirtCr | undefined): Partial<ClusterFacts> => {
    const dev = cr?.spec?.configuration?.developerConfiguration;
    return {
      ...(cr?.status?.observedKubeVirtVersion
        ? { kubevirtVersion: cr.status.observedKubeVirtVersion }
        : {}),
      featureGates: dev?.featureGates ?? [],
      disabledFeatureGates: dev?.disabledFeatureGates ?? [],
    };
  };

  const withKubeVirt = (cr: KubeVirtCr | undefined): ClusterFacts => ({
    source: 'cluster',
    cdi: facts.cdi,
    ...(facts.cdiVersion ? { cdiVersion: facts.cdiVersion } : {}),
    featureGates: [],
    disabledFeatureGates: [],
    ...fromKubeVirt(cr),
  });

  const withCdi = (cr: CdiCr | undefined): ClusterFacts => {
    const version = cr?.status?.observedVersion;
    const rest = { ...facts };
    delete rest.cdiVersion;
    return { ...rest, cdi: true, ...(version ? { cdiVersion: version } : {}) };
  };

  /** An informer that keeps following a CR after the first successful read. */
  const follow = <T extends { metadata: Meta }>(
    resource: string,
    path: string,
    apply: (items: readonly T[]) => void,
  ): Informer<{ metadata: Meta }> => {
    const informer: Informer<T> = new Informer<T>({
      clients,
      resource,
      path,
      clock: options.clock,
      random: options.random,
      logger,
      metrics,
      onEvent: () => apply(informer.list()),
    });
    const any = informer as unknown as Informer<{ metadata: Meta }>;
    informers.push(any);
    informer.start();
    return any;
  };

  /** Lists `path`. Forbidden or missing: undefined, with a warning (the override is the way
   *  out). Other failures (API unreachable) are retried after a pause: what the cluster can do
   *  decides every later write, so the service does not guess. */
  const read = async <T>(
    path: string,
    what: string,
    missingIsNormal = false,
  ): Promise<ObjectList<T> | undefined> => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        return JSON.parse(await clients.request('GET', path)) as ObjectList<T>;
      } catch (error) {
        const code = statusCode(error);
        if (code === 404 && missingIsNormal) return undefined;
        if (code === 403 || code === 404) {
          logger.warn(
            { path, code, err: statusMessage(error) },
            `cannot read the ${what}; describe the cluster in the config's cluster section`,
          );
          return undefined;
        }
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        logger.warn({ path, delayMs, err: statusMessage(error) }, `reading the ${what} failed`);
        await new Promise<void>((resolve) => options.clock.setTimeout(() => resolve(), delayMs));
      }
    }
    return undefined;
  };

  const discoverKubeVirt = async (): Promise<void> => {
    const list = await read<KubeVirtCr>(kubevirtPath, 'KubeVirt CR');
    if (!list) return;
    facts = withKubeVirt(list.items[0]);
    follow<KubeVirtCr>('kubevirts.kubevirt.io', kubevirtPath, (items) =>
      update(withKubeVirt(items[0]), 'KubeVirt configuration changed'),
    );
  };

  /** CDI is installed when its API group is served (discovery answers 404 otherwise). */
  const discoverCdi = async (): Promise<void> => {
    const group = await read<never>(cdiGroupPath, 'CDI API discovery', true);
    facts = { ...facts, cdi: group !== undefined };
    if (!group) return;
    const list = await read<CdiCr>(cdiPath, 'CDI CR');
    if (!list) return;
    facts = withCdi(list.items[0]);
    followCdi();
  };

  const followCdi = (): void => {
    cdiInformer = follow<CdiCr>('cdis.cdi.kubevirt.io', cdiPath, (items) =>
      update(withCdi(items[0]), 'CDI version changed'),
    );
  };

  /** One look at whether CDI's API is served now; an unreachable API changes nothing. */
  const pollCdi = async (): Promise<void> => {
    let served: boolean;
    try {
      await clients.request('GET', cdiGroupPath);
      served = true;
    } catch (error) {
      if (statusCode(error) !== 404) return;
      served = false;
    }
    if (stopped || served === facts.cdi) return;
    if (!served) {
      if (cdiInformer) {
        cdiInformer.stop();
        informers.splice(informers.indexOf(cdiInformer), 1);
        cdiInformer = undefined;
      }
      const rest = { ...facts };
      delete rest.cdiVersion;
      update({ ...rest, cdi: false }, 'CDI was removed: virtual media is no longer offered');
      return;
    }
    let cr: CdiCr | undefined;
    try {
      cr = (JSON.parse(await clients.request('GET', cdiPath)) as ObjectList<CdiCr>).items[0];
    } catch (error) {
      logger.warn({ path: cdiPath, err: statusMessage(error) }, 'cannot read the CDI CR');
    }
    update(withCdi(cr), 'CDI was installed: virtual media is offered');
    followCdi();
  };

  const schedulePoll = (): void => {
    if (stopped) return;
    cancelPoll = options.clock.setTimeout(() => {
      void pollCdi().finally(schedulePoll);
    }, options.cdiDiscoveryIntervalMs ?? defaultCdiDiscoveryIntervalMs);
  };

  return {
    async start() {
      if (!override) await discoverKubeVirt();
      if (!override?.cdiVersion) await discoverCdi();
      current = capabilitiesOf(facts);
      publish();
      logger.info({ cluster: describeFacts(facts) }, 'cluster capabilities');
      if (!override?.cdiVersion) schedulePoll();
    },
    stop() {
      stopped = true;
      cancelPoll?.();
      for (const informer of informers.splice(0)) informer.stop();
    },
    facts: () => facts,
    capabilities: () => current,
    onChange(listener) {
      listeners.push(listener);
    },
  };
};
