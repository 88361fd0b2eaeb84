// Discovery (/version, /api, /apis, /api/v1, /apis/<g>/<v>), the OpenAPI endpoints kubectl apply
// needs and the health probes: the unversioned documents clients read before any request.
import type { ServedType } from '../resource-types.ts';
import { servedTypes } from '../resource-types.ts';
import { accessReviewResource } from './access-review.ts';
import { subresourceGroup } from './routes.ts';
import { tokenRequestResource } from './token-request.ts';

export interface DiscoveryResponse {
  readonly contentType: string;
  readonly body: string;
}

// virt-api's own APIResourceList for subresources.kubevirt.io/v1 (kubevirt v1.9.0
// pkg/virt-api/api.go, recorded in shared/kubevirt-api/kubevirt-facts.json): names only.
const kubevirtSubresourceNames = [
  'expand-vm-spec',
  'virtualmachineinstances/vnc',
  'virtualmachineinstances/vnc/screenshot',
  'virtualmachineinstances/console',
  'virtualmachineinstances/portforward',
  'virtualmachineinstances/backup',
  'virtualmachineinstances/redefine-checkpoint',
  'virtualmachineinstances/pause',
  'virtualmachineinstances/unpause',
  'virtualmachineinstances/freeze',
  'virtualmachineinstances/unfreeze',
  'virtualmachineinstances/reset',
  'virtualmachineinstances/softreboot',
  'virtualmachines/start',
  'virtualmachines/stop',
  'virtualmachines/restart',
  'virtualmachines/migrate',
  'virtualmachines/expand-spec',
  'virtualmachines/objectgraph',
  'virtualmachines/evacuate/cancel',
  'virtualmachineinstances/guestosinfo',
  'virtualmachineinstances/userlist',
  'virtualmachineinstances/filesystemlist',
  'virtualmachineinstances/addvolume',
  'virtualmachineinstances/removevolume',
  'virtualmachineinstances/objectgraph',
  'virtualmachineinstances/sev/fetchcertchain',
  'virtualmachineinstances/sev/querylaunchmeasurement',
  'virtualmachineinstances/sev/setupsession',
  'virtualmachineinstances/sev/injectlaunchsecret',
  'virtualmachineinstances/evacuate/cancel',
];

// Served by access-review.ts, not by the resource routes.
const authorizationGroup = 'authorization.k8s.io';

const json = (body: unknown): DiscoveryResponse => ({
  contentType: 'application/json',
  body: `${JSON.stringify(body)}\n`,
});

const groupVersions = (types: readonly ServedType[]): { group: string; version: string }[] => {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of types) {
    if (t.group !== '') seen.set(`${t.group}/${t.version}`, { group: t.group, version: t.version });
  }
  seen.set(`${subresourceGroup}/v1`, { group: subresourceGroup, version: 'v1' });
  seen.set(`${authorizationGroup}/v1`, { group: authorizationGroup, version: 'v1' });
  return [...seen.values()];
};

const resourceEntries = (types: readonly ServedType[]) =>
  types.flatMap((t) => [
    {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
    },
    ...(t.statusSubresource
      ? [
          {
            name: `${t.resource}/status`,
            singularName: '',
            namespaced: t.namespaced,
            kind: t.kind,
            verbs: ['get', 'patch', 'update'],
          },
        ]
      : []),
    ...(t.key === 'serviceaccounts' ? [tokenRequestResource] : []),
  ]);

/** The discovery document for `pathname`, or undefined when it is not a discovery path. */
export const discovery = (
  pathname: string,
  serverAddress: string,
  served: readonly ServedType[] = servedTypes,
): DiscoveryResponse | undefined => {
  const path = pathname.replace(/\/+$/, '') || '/';
  switch (path) {
    case '/version':
      return json({
        major: '1',
        minor: '34',
        gitVersion: 'v1.34.0',
        gitCommit: '',
        gitTreeState: 'clean',
        buildDate: '2025-08-27T00:00:00Z',
        goVersion: 'go1.24.6',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    case '/api':
      return json({
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      });
    case '/apis':
      return json({
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groupVersions(served).map(({ group, version }) => ({
          name: group,
          versions: [{ groupVersion: `${group}/${version}`, version }],
          preferredVersion: { groupVersion: `${group}/${version}`, version },
        })),
      });
    case '/api/v1':
      return json({
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: resourceEntries(served.filter((t) => t.group === '')),
      });
    // kubectl >= 1.27 fetches OpenAPI v3 before apply; an empty document disables client-side
    // validation. kubectl 1.20 asks v2 as protobuf: an empty octet-stream is an empty Document.
    case '/openapi/v3':
      return json({ paths: {} });
    case '/openapi/v2':
      return { contentType: 'application/octet-stream', body: '' };
    case '/healthz':
    case '/livez':
    case '/readyz':
      return { contentType: 'text/plain; charset=utf-8', body: 'ok' };
    default:
      break;
  }
  const groupOnly = /^\/apis\/([^/]+)$/.exec(path)?.[1];
  const groupDoc = groupVersions(served).find((gv) => gv.group === groupOnly);
  if (groupDoc) {
    const gv = { groupVersion: `${groupDoc.group}/${groupDoc.version}`, version: groupDoc.version };
    return json({
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: groupDoc.group,
      versions: [gv],
      preferredVersion: gv,
    });
  }
  const m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  const [, group, version] = m;
  if (group === authorizationGroup && version === 'v1') {
    return json({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${group}/${version}`,
      resources: [accessReviewResource],
    });
  }
  if (group === subresourceGroup && version === 'v1') {
    return json({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${group}/${version}`,
      resources: kubevirtSubresourceNames.map((name) => ({ name, namespaced: true })),
    });
  }
  const types = served.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return json({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${group}/${version}`,
    resources: resourceEntries(types),
  });
};
