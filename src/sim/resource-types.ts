// The resource types the simulator serves, with the printer columns and delete behaviour the real
// API server has for each (CRD facts from shared/kubevirt-api/kubevirt-facts.json).
import { deploymentTypes } from './deployment-types.ts';
import type { ServedType, TypeDefinition } from './type-definition.ts';
import { baseDefinition as base, countKeys, crdAge, metaAge, record } from './type-definition.ts';
import type { ResourceType, TypeKey } from './types.ts';
import { typeKey } from './types.ts';

export type { PrinterColumn, ServedType } from './type-definition.ts';

const accessModeShort: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

const definitions: TypeDefinition[] = [
  {
    ...base,
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    singular: 'namespace',
    shortNames: ['ns'],
    namespaced: false,
    // The namespace registry answers DELETE with the (terminating) namespace.
    deleteReturnsObject: true,
    patchStrategiesKind: 'Namespace',
    printerColumns: [
      {
        name: 'Status',
        type: 'string',
        description: 'The status of the namespace',
        value: '.status.phase',
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: '',
    version: 'v1',
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    listKind: 'PersistentVolumeClaimList',
    singular: 'persistentvolumeclaim',
    shortNames: ['pvc'],
    namespaced: true,
    patchStrategiesKind: 'PersistentVolumeClaim',
    printerColumns: [
      { name: 'Status', type: 'string', description: 'Phase of the claim', value: '.status.phase' },
      { name: 'Volume', type: 'string', description: 'Bound volume', value: '.spec.volumeName' },
      {
        name: 'Capacity',
        type: 'string',
        description: 'Capacity of the bound volume',
        value: (o) => record(record(record(o.status).capacity)).storage ?? '',
      },
      {
        name: 'Access Modes',
        type: 'string',
        description: 'Access modes of the bound volume',
        value: (o) => {
          const modes = record(o.status).accessModes;
          return Array.isArray(modes)
            ? modes.map((m) => accessModeShort[String(m)] ?? String(m)).join(',')
            : '';
        },
      },
      {
        name: 'StorageClass',
        type: 'string',
        description: 'Storage class of the claim',
        value: '.spec.storageClassName',
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    listKind: 'SecretList',
    singular: 'secret',
    namespaced: true,
    patchStrategiesKind: 'Secret',
    printerColumns: [
      { name: 'Type', type: 'string', description: 'The type of the secret', value: '.type' },
      {
        name: 'Data',
        type: 'string',
        description: 'Number of keys in the secret',
        value: (o) => countKeys(o.data) + countKeys(o.stringData),
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    listKind: 'ConfigMapList',
    singular: 'configmap',
    shortNames: ['cm'],
    namespaced: true,
    patchStrategiesKind: 'ConfigMap',
    printerColumns: [
      {
        name: 'Data',
        type: 'string',
        description: 'Number of keys in the config map',
        value: (o) => countKeys(o.data) + countKeys(o.binaryData),
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    listKind: 'EventList',
    singular: 'event',
    shortNames: ['ev'],
    namespaced: true,
    patchStrategiesKind: 'Event',
    printerColumns: [
      {
        name: 'Last Seen',
        type: 'string',
        description: 'Time since the event was last seen',
        value: (o) => o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp,
        age: true,
      },
      { name: 'Type', type: 'string', description: 'Event type', value: '.type' },
      { name: 'Reason', type: 'string', description: 'Event reason', value: '.reason' },
      {
        name: 'Object',
        type: 'string',
        description: 'Object the event is about',
        value: (o) => {
          const involved = record(o.involvedObject);
          const text = (v: unknown) => (typeof v === 'string' ? v : '');
          return `${text(involved.kind).toLowerCase()}/${text(involved.name)}`;
        },
      },
      { name: 'Message', type: 'string', description: 'Event message', value: '.message' },
    ],
  },
  {
    ...base,
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    kind: 'Lease',
    listKind: 'LeaseList',
    singular: 'lease',
    namespaced: true,
    patchStrategiesKind: 'Lease',
    printerColumns: [
      {
        name: 'Holder',
        type: 'string',
        description: 'Holder of the lease',
        value: '.spec.holderIdentity',
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: 'kubevirt.io',
    version: 'v1',
    resource: 'virtualmachines',
    kind: 'VirtualMachine',
    listKind: 'VirtualMachineList',
    singular: 'virtualmachine',
    shortNames: ['vm', 'vms'],
    categories: ['all'],
    namespaced: true,
    statusSubresource: true,
    custom: true,
    deleteReturnsObject: true,
    schema: 'virtualmachine',
    printerColumns: [
      crdAge,
      {
        name: 'Status',
        type: 'string',
        description: 'Human Readable Status',
        value: '.status.printableStatus',
      },
      {
        name: 'Ready',
        type: 'string',
        description: '',
        value: ".status.conditions[?(@.type=='Ready')].status",
      },
    ],
  },
  {
    ...base,
    group: 'kubevirt.io',
    version: 'v1',
    resource: 'virtualmachineinstances',
    kind: 'VirtualMachineInstance',
    listKind: 'VirtualMachineInstanceList',
    singular: 'virtualmachineinstance',
    shortNames: ['vmi', 'vmis'],
    categories: ['all'],
    namespaced: true,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [
      crdAge,
      { name: 'Phase', type: 'string', description: '', value: '.status.phase' },
      { name: 'IP', type: 'string', description: '', value: '.status.interfaces[0].ipAddress' },
      { name: 'NodeName', type: 'string', description: '', value: '.status.nodeName' },
      {
        name: 'Ready',
        type: 'string',
        description: '',
        value: ".status.conditions[?(@.type=='Ready')].status",
      },
      {
        name: 'Live-Migratable',
        type: 'string',
        description: '',
        value: ".status.conditions[?(@.type=='LiveMigratable')].status",
        priority: 1,
      },
      {
        name: 'Paused',
        type: 'string',
        description: '',
        value: ".status.conditions[?(@.type=='Paused')].status",
        priority: 1,
      },
    ],
  },
  {
    ...base,
    group: 'cdi.kubevirt.io',
    version: 'v1beta1',
    resource: 'datavolumes',
    kind: 'DataVolume',
    listKind: 'DataVolumeList',
    singular: 'datavolume',
    shortNames: ['dv', 'dvs'],
    categories: ['all'],
    namespaced: true,
    statusSubresource: true,
    custom: true,
    deleteReturnsObject: true,
    schema: 'datavolume',
    printerColumns: [
      {
        name: 'Phase',
        type: 'string',
        description: 'The phase the data volume is in',
        value: '.status.phase',
      },
      {
        name: 'Progress',
        type: 'string',
        description: 'Transfer progress in percentage if known, N/A otherwise',
        value: '.status.progress',
      },
      {
        name: 'Restarts',
        type: 'integer',
        description: 'The number of times the transfer has been restarted.',
        value: '.status.restartCount',
      },
      crdAge,
    ],
  },
  // The operators' own CRs: what a client reads to learn the installed releases and gates.
  {
    ...base,
    group: 'kubevirt.io',
    version: 'v1',
    resource: 'kubevirts',
    kind: 'KubeVirt',
    listKind: 'KubeVirtList',
    singular: 'kubevirt',
    shortNames: ['kv', 'kvs'],
    categories: ['all'],
    namespaced: true,
    statusSubresource: true,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [
      crdAge,
      { name: 'Phase', type: 'string', description: '', value: '.status.phase' },
    ],
  },
  {
    ...base,
    group: 'cdi.kubevirt.io',
    version: 'v1beta1',
    resource: 'cdis',
    kind: 'CDI',
    listKind: 'CDIList',
    singular: 'cdi',
    shortNames: ['cdi', 'cdis'],
    categories: ['all'],
    namespaced: false,
    statusSubresource: true,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [
      crdAge,
      { name: 'Phase', type: 'string', description: '', value: '.status.phase' },
    ],
  },
  // instancetype.kubevirt.io: the sizing a VM may reference instead of its own domain.cpu and
  // memory (the CRDs print only Age).
  {
    ...base,
    group: 'instancetype.kubevirt.io',
    version: 'v1beta1',
    resource: 'virtualmachineinstancetypes',
    kind: 'VirtualMachineInstancetype',
    listKind: 'VirtualMachineInstancetypeList',
    singular: 'virtualmachineinstancetype',
    shortNames: ['vminstancetype', 'vminstancetypes', 'vmf', 'vmfs'],
    namespaced: true,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [crdAge],
  },
  {
    ...base,
    group: 'instancetype.kubevirt.io',
    version: 'v1beta1',
    resource: 'virtualmachineclusterinstancetypes',
    kind: 'VirtualMachineClusterInstancetype',
    listKind: 'VirtualMachineClusterInstancetypeList',
    singular: 'virtualmachineclusterinstancetype',
    shortNames: ['vmclusterinstancetype', 'vmclusterinstancetypes', 'vmcf', 'vmcfs'],
    namespaced: false,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [crdAge],
  },
  // metal3.io: the BareMetalHost CRD (shared/metal3-api, as baremetal-operator installs it), so
  // the manifests `kubevirt-redfish bmh` prints meet the same validation as on a Metal3 cluster.
  {
    ...base,
    group: 'metal3.io',
    version: 'v1alpha1',
    resource: 'baremetalhosts',
    kind: 'BareMetalHost',
    listKind: 'BareMetalHostList',
    singular: 'baremetalhost',
    shortNames: ['bmh', 'bmhost'],
    namespaced: true,
    statusSubresource: true,
    custom: true,
    deleteReturnsObject: true,
    schema: 'baremetalhost',
    printerColumns: [
      {
        name: 'Status',
        type: 'string',
        description: 'Operational status',
        value: '.status.operationalStatus',
        priority: 1,
      },
      {
        name: 'State',
        type: 'string',
        description: 'Provisioning status',
        value: '.status.provisioning.state',
      },
      {
        name: 'Consumer',
        type: 'string',
        description: 'Consumer using this host',
        value: '.spec.consumerRef.name',
      },
      {
        name: 'BMC',
        type: 'string',
        description: 'Address of management controller',
        value: '.spec.bmc.address',
        priority: 1,
      },
      {
        name: 'Online',
        type: 'string',
        description: 'Whether the host is online or not',
        value: '.spec.online',
      },
      {
        name: 'Error',
        type: 'string',
        description: 'Type of the most recent error',
        value: '.status.errorType',
      },
      { ...crdAge, description: 'Time duration since creation of BaremetalHost' },
    ],
  },
  // Storage: the classes PVCs are provisioned from (cluster-scoped, built in) and CDI's
  // per-class StorageProfiles, from which CDI completes a DataVolume's claim (fidelity §5.1).
  {
    ...base,
    group: 'storage.k8s.io',
    version: 'v1',
    resource: 'storageclasses',
    kind: 'StorageClass',
    listKind: 'StorageClassList',
    singular: 'storageclass',
    shortNames: ['sc'],
    namespaced: false,
    patchStrategiesKind: 'StorageClass',
    printerColumns: [
      { name: 'Provisioner', type: 'string', description: 'Provisioner', value: '.provisioner' },
      {
        name: 'ReclaimPolicy',
        type: 'string',
        description: 'Reclaim policy of the volumes',
        value: '.reclaimPolicy',
      },
      {
        name: 'VolumeBindingMode',
        type: 'string',
        description: 'When volumes are bound',
        value: '.volumeBindingMode',
      },
      {
        name: 'AllowVolumeExpansion',
        type: 'boolean',
        description: 'Volumes can be expanded',
        value: (o) => o.allowVolumeExpansion === true,
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: 'cdi.kubevirt.io',
    version: 'v1beta1',
    resource: 'storageprofiles',
    kind: 'StorageProfile',
    listKind: 'StorageProfileList',
    singular: 'storageprofile',
    namespaced: false,
    statusSubresource: true,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [crdAge],
  },
];

/** Every type the simulator serves, in discovery order. */
export const servedTypes: readonly ServedType[] = [...definitions, ...deploymentTypes].map((d) => ({
  ...d,
  key: typeKey(d),
}));

/** Well-known keys, so callers need not spell `<resource>.<group>` by hand. */
export const TypeKeys = {
  namespaces: 'namespaces',
  persistentVolumeClaims: 'persistentvolumeclaims',
  secrets: 'secrets',
  configMaps: 'configmaps',
  events: 'events',
  leases: 'leases.coordination.k8s.io',
  virtualMachines: 'virtualmachines.kubevirt.io',
  virtualMachineInstances: 'virtualmachineinstances.kubevirt.io',
  dataVolumes: 'datavolumes.cdi.kubevirt.io',
  kubevirts: 'kubevirts.kubevirt.io',
  cdis: 'cdis.cdi.kubevirt.io',
  instancetypes: 'virtualmachineinstancetypes.instancetype.kubevirt.io',
  clusterInstancetypes: 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io',
  bareMetalHosts: 'baremetalhosts.metal3.io',
  serviceAccounts: 'serviceaccounts',
  services: 'services',
  deployments: 'deployments.apps',
  roles: 'roles.rbac.authorization.k8s.io',
  clusterRoles: 'clusterroles.rbac.authorization.k8s.io',
  roleBindings: 'rolebindings.rbac.authorization.k8s.io',
  clusterRoleBindings: 'clusterrolebindings.rbac.authorization.k8s.io',
  storageClasses: 'storageclasses.storage.k8s.io',
  storageProfiles: 'storageprofiles.cdi.kubevirt.io',
} as const satisfies Record<string, TypeKey>;

/** `apiVersion` as objects carry it: `v1` for core, `<group>/<version>` otherwise. */
export const apiVersionOf = (type: Pick<ResourceType, 'group' | 'version'>): string =>
  type.group === '' ? type.version : `${type.group}/${type.version}`;

/** `<resource>.<group>` as the real server names a resource in messages (`secrets` for core). */
export const qualifiedResource = (type: Pick<ResourceType, 'group' | 'resource'>): string =>
  type.group === '' ? type.resource : `${type.resource}.${type.group}`;

/** `<Kind>.<group>` as the real server names a kind in Invalid messages (`Secret` for core). */
export const qualifiedKind = (type: Pick<ResourceType, 'group' | 'kind'>): string =>
  type.group === '' ? type.kind : `${type.kind}.${type.group}`;
