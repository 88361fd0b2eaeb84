// Facts about the simulated cluster that change KubeVirt and CDI behaviour: the release profile
// (KubeVirt version, the KubeVirt CR's feature-gate lists, CDI present or not and its version),
// and what follows from it (fidelity doc sections 4 and 12: CD-ROM hotplug and rebootPolicy
// depend on the release and its gates). Gate states per release come from
// schemas/kubevirt-feature-gates.json (kubevirt/kubevirt pkg/virt-config/featuregate).
import gateTableJson from './schemas/kubevirt-feature-gates.json' with { type: 'json' };

interface GateTable {
  readonly versions: Readonly<
    Record<string, { betaGatesOnByDefault: boolean; gates: Readonly<Record<string, string>> }>
  >;
}

const gateTable: GateTable = gateTableJson;

/** The KubeVirt releases the simulator has a gate table for (`1.6` selects v1.6.6). */
export const KubevirtReleases = Object.keys(gateTable.versions);

export interface ClusterConfig {
  /** KubeVirt release the simulator imitates, e.g. 'v1.9.0'. */
  readonly kubevirtVersion: string;
  /** The KubeVirt CR's spec.configuration.developerConfiguration.featureGates, as given. */
  readonly featureGates: readonly string[];
  /** The KubeVirt CR's developerConfiguration.disabledFeatureGates (v1.9: turns Beta gates off). */
  readonly disabledFeatureGates: readonly string[];
  /** CDI is installed: its CRDs are served and its importer runs. */
  readonly cdi: boolean;
  /** CDI release the simulator imitates. */
  readonly cdiVersion: string;
  /** Feature gate DeclarativeHotplugVolumes: CD-ROM media follow the VM template on a running VM. */
  readonly declarativeHotplug: boolean;
  /** Deprecated imperative gate HotplugVolumes (addvolume/removevolume also work with it). */
  readonly hotplugVolumes: boolean;
  /** The CRD schema knows spec.template.spec.domain.rebootPolicy (KubeVirt v1.8+); before, the
   *  API server prunes it silently. */
  readonly rebootPolicyField: boolean;
  /** Feature gate RebootPolicy: the webhook admits rebootPolicy and virt-handler honours it. */
  readonly rebootPolicy: boolean;
  /** virtualmachineinstances/reset exists (KubeVirt v1.5+). */
  readonly reset: boolean;
}

/** What a profile is chosen by; unset gate switches follow the release and its gate lists. */
export type ClusterOverrides = Partial<ClusterConfig>;

const versionNumber = (version: string): [number, number] => {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`not a KubeVirt version: ${version}`);
  return [Number(match[1]), Number(match[2])];
};

const atLeast = (version: string, minor: number): boolean => {
  const [major, min] = versionNumber(version);
  return major > 1 || (major === 1 && min >= minor);
};

/** `1.8`, `v1.8` or `v1.8.4` → the full release the table knows ('v1.8.4'); other versions
 *  (e.g. `v1.4.0` for the reset subresource) are kept as given. */
export const kubevirtRelease = (version: string): string => {
  const [major, minor] = versionNumber(version);
  const prefix = `v${major}.${minor}.`;
  if (/^v?\d+\.\d+\.\d+/.test(version)) return version.startsWith('v') ? version : `v${version}`;
  return KubevirtReleases.find((r) => r.startsWith(prefix)) ?? `v${major}.${minor}.0`;
};

/** The gate table entry of a release: its own, else the closest older (or the oldest) one. */
const gatesOf = (version: string) => {
  const [major, minor] = versionNumber(version);
  const known = KubevirtReleases.map((r) => ({ r, v: versionNumber(r) }))
    .filter(({ v }) => v[0] < major || (v[0] === major && v[1] <= minor))
    .pop();
  return gateTable.versions[known?.r ?? KubevirtReleases[0] ?? ''];
};

/** Whether `gate` is on in `version` given the CR's lists (feature-gates.go: GA always; listed
 *  = on; disabled = off; Beta on by default only where the release says so; else off). */
export const gateEnabled = (
  version: string,
  gate: string,
  featureGates: readonly string[],
  disabledFeatureGates: readonly string[] = [],
): boolean => {
  const table = gatesOf(version);
  const state = table?.gates[gate];
  if (state === undefined || state === 'Discontinued') return false;
  if (state === 'GA') return true;
  if (disabledFeatureGates.includes(gate)) return false;
  if (featureGates.includes(gate)) return true;
  return state === 'Beta' && table?.betaGatesOnByDefault === true;
};

/** The cluster facts for a profile. Defaults: KubeVirt v1.9.0 with no gates listed (its Beta
 *  gates on), CDI v1.66.0 installed. Explicit switches override what the gates imply. */
export const resolveClusterConfig = (overrides: ClusterOverrides = {}): ClusterConfig => {
  const kubevirtVersion = kubevirtRelease(overrides.kubevirtVersion ?? 'v1.9.0');
  const featureGates = [...(overrides.featureGates ?? [])];
  const disabledFeatureGates = [...(overrides.disabledFeatureGates ?? [])];
  const gate = (name: string) =>
    gateEnabled(kubevirtVersion, name, featureGates, disabledFeatureGates);
  // An explicit switch is written into the CR's lists, so a client reading the KubeVirt CR
  // learns the same gate state the simulated controllers act on.
  const explicit: [string, boolean | undefined][] = [
    ['DeclarativeHotplugVolumes', overrides.declarativeHotplug],
    ['HotplugVolumes', overrides.hotplugVolumes],
    ['RebootPolicy', overrides.rebootPolicy],
  ];
  for (const [name, wanted] of explicit) {
    if (wanted === undefined || wanted === gate(name)) continue;
    if (wanted) featureGates.push(name);
    else disabledFeatureGates.push(name);
  }
  const rebootPolicyField = overrides.rebootPolicyField ?? atLeast(kubevirtVersion, 8);
  return {
    kubevirtVersion,
    featureGates,
    disabledFeatureGates,
    cdi: overrides.cdi ?? true,
    cdiVersion: overrides.cdiVersion ?? 'v1.66.0',
    declarativeHotplug: overrides.declarativeHotplug ?? gate('DeclarativeHotplugVolumes'),
    hotplugVolumes: overrides.hotplugVolumes ?? gate('HotplugVolumes'),
    rebootPolicyField,
    rebootPolicy: overrides.rebootPolicy ?? (rebootPolicyField && gate('RebootPolicy')),
    reset: overrides.reset ?? atLeast(kubevirtVersion, 5),
  };
};
