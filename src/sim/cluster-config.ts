// Facts about the simulated cluster that change KubeVirt behaviour: versions and feature gates
// (fidelity doc sections 4 and 12: CD-ROM hotplug and rebootPolicy depend on the release).

export interface ClusterConfig {
  /** KubeVirt release the simulator imitates, e.g. 'v1.9.0'. */
  readonly kubevirtVersion: string;
  /** CDI release the simulator imitates. */
  readonly cdiVersion: string;
  /** Feature gate DeclarativeHotplugVolumes: CD-ROM media follow the VM template on a running VM. */
  readonly declarativeHotplug: boolean;
  /** Deprecated imperative gate HotplugVolumes (addvolume/removevolume also work with it). */
  readonly hotplugVolumes: boolean;
  /** spec.template.spec.domain.rebootPolicy is honoured (KubeVirt v1.8+). */
  readonly rebootPolicy: boolean;
  /** virtualmachineinstances/reset exists (KubeVirt v1.5+). */
  readonly reset: boolean;
}

const versionNumber = (version: string): [number, number] => {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`not a KubeVirt version: ${version}`);
  return [Number(match[1]), Number(match[2])];
};

const atLeast = (version: string, minor: number): boolean => {
  const [major, min] = versionNumber(version);
  return major > 1 || (major === 1 && min >= minor);
};

/** The cluster facts for a KubeVirt version, overridden by `overrides`. Defaults follow the
 *  release: DeclarativeHotplugVolumes is Beta and on in v1.9, Alpha (off) in v1.6-v1.8. */
export const resolveClusterConfig = (overrides: Partial<ClusterConfig> = {}): ClusterConfig => {
  const kubevirtVersion = overrides.kubevirtVersion ?? 'v1.9.0';
  return {
    kubevirtVersion,
    cdiVersion: overrides.cdiVersion ?? 'v1.66.0',
    declarativeHotplug: overrides.declarativeHotplug ?? atLeast(kubevirtVersion, 9),
    hotplugVolumes: overrides.hotplugVolumes ?? false,
    rebootPolicy: overrides.rebootPolicy ?? atLeast(kubevirtVersion, 8),
    reset: overrides.reset ?? atLeast(kubevirtVersion, 5),
  };
};
