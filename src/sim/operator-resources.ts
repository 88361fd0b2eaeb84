// The operators' custom resources a real cluster carries: the KubeVirt CR (namespace kubevirt,
// with the release it runs and the feature-gate lists) and, where CDI is installed, the CDI CR
// (cluster-scoped, with CDI's release). Clients read them to learn what the cluster can do.
import type { ClusterConfig } from './cluster-config.ts';
import { TypeKeys } from './resource-types.ts';
import type { ObjectStore } from './types.ts';

export const kubevirtNamespace = 'kubevirt';

export const seedOperatorResources = (store: ObjectStore, cluster: ClusterConfig): void => {
  if (!store.get(TypeKeys.namespaces, undefined, kubevirtNamespace))
    store.create(TypeKeys.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: kubevirtNamespace },
    });
  const developerConfiguration = {
    featureGates: [...cluster.featureGates],
    ...(cluster.disabledFeatureGates.length > 0
      ? { disabledFeatureGates: [...cluster.disabledFeatureGates] }
      : {}),
  };
  store.create(TypeKeys.kubevirts, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'kubevirt', namespace: kubevirtNamespace },
    spec: { configuration: { developerConfiguration }, imagePullPolicy: 'IfNotPresent' },
    status: {
      phase: 'Deployed',
      observedKubeVirtVersion: cluster.kubevirtVersion,
      targetKubeVirtVersion: cluster.kubevirtVersion,
      operatorVersion: cluster.kubevirtVersion,
    },
  });
  if (cluster.cdi) seedCdi(store, cluster);
};

/** The CDI CR (cluster-scoped) of an installed CDI. */
export const seedCdi = (store: ObjectStore, cluster: Pick<ClusterConfig, 'cdiVersion'>): void => {
  store.create(TypeKeys.cdis, {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'CDI',
    metadata: { name: 'cdi' },
    spec: { imagePullPolicy: 'IfNotPresent' },
    status: {
      phase: 'Deployed',
      observedVersion: cluster.cdiVersion,
      targetVersion: cluster.cdiVersion,
      operatorVersion: cluster.cdiVersion,
    },
  });
};
