// The kinds an installation of the service creates (the Helm chart and deploy/manifests):
// ServiceAccounts, Services, Deployments, RBAC, PodDisruptionBudgets, NetworkPolicies, and the
// OpenShift Route and Prometheus Operator ServiceMonitor CRDs. Stored and validated like any other
// object; no controller acts on them (a Deployment never gets pods).
import type { KubeObject } from './types.ts';
import type { PrinterColumn, TypeDefinition } from './type-definition.ts';
import { baseDefinition as base, crdAge, metaAge, record } from './type-definition.ts';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/** `<none>` as kubectl's server-side printers show an empty cell. */
const orNone = (value: string): string => (value === '' ? '<none>' : value);

const servicePorts = (o: KubeObject): string =>
  orNone(
    list(record(o.spec).ports)
      .map((p) => {
        const port = record(p);
        const node = port.nodePort === undefined ? '' : `:${Number(port.nodePort)}`;
        return `${Number(port.port)}${node}/${text(port.protocol) || 'TCP'}`;
      })
      .join(','),
  );

const roleRef = (o: KubeObject): string => {
  const ref = record(o.roleRef);
  return `${text(ref.kind)}/${text(ref.name)}`;
};

const createdAt: PrinterColumn = {
  name: 'Created At',
  type: 'string',
  format: 'date',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
  value: (o) => o.metadata.creationTimestamp,
};
const bindingColumns: readonly PrinterColumn[] = [
  { name: 'Role', type: 'string', description: 'RoleRef is the role being bound', value: roleRef },
  metaAge,
];
/** An IntOrString cell: the number or percentage, N/A when unset. */
const intOrNA = (value: unknown): string =>
  typeof value === 'number' ? String(value) : typeof value === 'string' ? value : 'N/A';

const rbac = { ...base, group: 'rbac.authorization.k8s.io', version: 'v1' };

export const deploymentTypes: readonly TypeDefinition[] = [
  {
    ...base,
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    listKind: 'ServiceAccountList',
    singular: 'serviceaccount',
    shortNames: ['sa'],
    namespaced: true,
    patchStrategiesKind: 'ServiceAccount',
    printerColumns: [
      {
        name: 'Secrets',
        type: 'string',
        description: 'Secrets is a list of the secrets in the same namespace',
        value: (o) => list(o.secrets).length,
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    listKind: 'ServiceList',
    singular: 'service',
    shortNames: ['svc'],
    categories: ['all'],
    namespaced: true,
    statusSubresource: true,
    patchStrategiesKind: 'Service',
    printerColumns: [
      { name: 'Type', type: 'string', description: 'type of the service', value: '.spec.type' },
      {
        name: 'Cluster-IP',
        type: 'string',
        description: 'clusterIP is the IP address of the service',
        value: '.spec.clusterIP',
      },
      {
        name: 'External-IP',
        type: 'string',
        description: 'externalIPs of the service',
        value: (o) => orNone(list(record(o.spec).externalIPs).map(text).join(',')),
      },
      {
        name: 'Port(s)',
        type: 'string',
        description: 'The list of ports that are exposed by this service',
        value: servicePorts,
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    singular: 'deployment',
    shortNames: ['deploy'],
    categories: ['all'],
    namespaced: true,
    statusSubresource: true,
    patchStrategiesKind: 'Deployment',
    printerColumns: [
      {
        name: 'Ready',
        type: 'string',
        description: 'Number of the pod with ready state',
        value: (o) =>
          `${Number(record(o.status).readyReplicas ?? 0)}/${Number(record(o.spec).replicas ?? 1)}`,
      },
      {
        name: 'Up-to-date',
        type: 'string',
        description: 'Total number of non-terminated pods targeted by this deployment',
        value: (o) => Number(record(o.status).updatedReplicas ?? 0),
      },
      {
        name: 'Available',
        type: 'string',
        description: 'Total number of available pods targeted by this deployment',
        value: (o) => Number(record(o.status).availableReplicas ?? 0),
      },
      metaAge,
    ],
  },
  {
    ...rbac,
    resource: 'roles',
    kind: 'Role',
    listKind: 'RoleList',
    singular: 'role',
    namespaced: true,
    patchStrategiesKind: 'Role',
    printerColumns: [createdAt],
  },
  {
    ...rbac,
    resource: 'clusterroles',
    kind: 'ClusterRole',
    listKind: 'ClusterRoleList',
    singular: 'clusterrole',
    namespaced: false,
    patchStrategiesKind: 'ClusterRole',
    printerColumns: [createdAt],
  },
  {
    ...rbac,
    resource: 'rolebindings',
    kind: 'RoleBinding',
    listKind: 'RoleBindingList',
    singular: 'rolebinding',
    namespaced: true,
    patchStrategiesKind: 'RoleBinding',
    printerColumns: bindingColumns,
  },
  {
    ...rbac,
    resource: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    listKind: 'ClusterRoleBindingList',
    singular: 'clusterrolebinding',
    namespaced: false,
    patchStrategiesKind: 'ClusterRoleBinding',
    printerColumns: bindingColumns,
  },
  {
    ...base,
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    listKind: 'PodDisruptionBudgetList',
    singular: 'poddisruptionbudget',
    shortNames: ['pdb'],
    namespaced: true,
    statusSubresource: true,
    patchStrategiesKind: 'PodDisruptionBudget',
    printerColumns: [
      {
        name: 'Min Available',
        type: 'string',
        description: 'The minimum number of pods that must be available.',
        value: (o) => intOrNA(record(o.spec).minAvailable),
      },
      {
        name: 'Max Unavailable',
        type: 'string',
        description: 'The maximum number of pods that may be unavailable.',
        value: (o) => intOrNA(record(o.spec).maxUnavailable),
      },
      {
        name: 'Allowed Disruptions',
        type: 'integer',
        description: 'Calculated number of pods that may be disrupted at this time.',
        value: (o) => Number(record(o.status).disruptionsAllowed ?? 0),
      },
      metaAge,
    ],
  },
  {
    ...base,
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    listKind: 'NetworkPolicyList',
    singular: 'networkpolicy',
    shortNames: ['netpol'],
    namespaced: true,
    patchStrategiesKind: 'NetworkPolicy',
    printerColumns: [
      {
        name: 'Pod-Selector',
        type: 'string',
        description: 'Selects the pods to which this NetworkPolicy object applies.',
        value: (o) => {
          const labels = record(record(record(o.spec).podSelector).matchLabels);
          return orNone(
            Object.entries(labels)
              .map(([k, v]) => `${k}=${text(v)}`)
              .join(','),
          );
        },
      },
      metaAge,
    ],
  },
  // CRDs of OpenShift and of the Prometheus Operator, as the chart may render them.
  {
    ...base,
    group: 'route.openshift.io',
    version: 'v1',
    resource: 'routes',
    kind: 'Route',
    listKind: 'RouteList',
    singular: 'route',
    namespaced: true,
    statusSubresource: true,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [
      {
        name: 'Host',
        type: 'string',
        description: 'Host of the route',
        value: '.status.ingress[0].host',
      },
      { name: 'Path', type: 'string', description: 'Path of the route', value: '.spec.path' },
      {
        name: 'Services',
        type: 'string',
        description: 'Service of the route',
        value: '.spec.to.name',
      },
      crdAge,
    ],
  },
  {
    ...base,
    group: 'monitoring.coreos.com',
    version: 'v1',
    resource: 'servicemonitors',
    kind: 'ServiceMonitor',
    listKind: 'ServiceMonitorList',
    singular: 'servicemonitor',
    shortNames: ['smon'],
    categories: ['prometheus-operator'],
    namespaced: true,
    custom: true,
    deleteReturnsObject: true,
    printerColumns: [crdAge],
  },
];
