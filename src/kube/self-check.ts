// Start-up self-check: before the service reports ready it verifies what it will need from the
// cluster, the sessions namespace and each permission of its calls (one
// SelfSubjectAccessReview per verb and resource), so that a missing grant is named in the log
// and in /readyz at start instead of surfacing later as a misleading Redfish error (a login
// answering 404 because the session Secret cannot be created, say).
import type { KubeConfig } from '@kubernetes/client-node';
import type { Metrics } from '../observability/metrics.ts';
import { createKubeClients } from './client.ts';
import { statusCode, statusMessage } from './errors.ts';

export interface Access {
  readonly verb: string;
  /** '' for the core group. */
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace: string;
}

const each = (
  namespace: string,
  group: string,
  resource: string,
  verbs: readonly string[],
  subresource?: string,
): Access[] =>
  verbs.map((verb) => ({ verb, group, resource, namespace, ...(subresource && { subresource }) }));

/** Every call src/kube/ makes, by namespace (docs/operations.md "RBAC" lists the same). */
export const requiredAccess = (
  vmNamespaces: readonly string[],
  sessionNamespace: string,
): Access[] => [
  ...vmNamespaces.flatMap((ns) => [
    ...each(ns, 'kubevirt.io', 'virtualmachines', ['get', 'list', 'watch', 'patch']),
    ...each(ns, 'kubevirt.io', 'virtualmachineinstances', ['get', 'list', 'watch']),
    ...['start', 'stop', 'restart'].flatMap((sub) =>
      each(ns, 'subresources.kubevirt.io', 'virtualmachines', ['update'], sub),
    ),
    ...['pause', 'unpause', 'softreboot'].flatMap((sub) =>
      each(ns, 'subresources.kubevirt.io', 'virtualmachineinstances', ['update'], sub),
    ),
    ...each(ns, 'cdi.kubevirt.io', 'datavolumes', ['get', 'list', 'watch', 'create', 'delete']),
    ...each(ns, '', 'persistentvolumeclaims', ['list', 'watch']),
    ...each(ns, '', 'events', ['list', 'create']),
    ...each(ns, '', 'secrets', ['list', 'create', 'update', 'delete']),
  ]),
  ...each(sessionNamespace, '', 'secrets', ['list', 'watch', 'create', 'patch', 'delete']),
  ...each(sessionNamespace, '', 'configmaps', ['list', 'watch', 'create', 'patch']),
];

const describe = (a: Access): string =>
  `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.group ? `.${a.group}` : ''} in namespace ${a.namespace}`;

/** The problems found, each a sentence naming what is missing; empty when all is in place. */
export const runSelfCheck = async (options: {
  readonly kubeConfig: KubeConfig;
  readonly metrics: Metrics;
  readonly vmNamespaces: readonly string[];
  readonly sessionNamespace: string;
}): Promise<string[]> => {
  const clients = createKubeClients(options);
  const problems: string[] = [];
  try {
    await clients.request('GET', `/api/v1/namespaces/${options.sessionNamespace}`);
  } catch (error) {
    problems.push(
      statusCode(error) === 404
        ? `the sessions namespace ${options.sessionNamespace} does not exist`
        : `cannot read the sessions namespace ${options.sessionNamespace}: ${statusMessage(error)}`,
    );
  }
  const reviews = await Promise.all(
    requiredAccess(options.vmNamespaces, options.sessionNamespace).map(async (access) => {
      const { verb, group, resource, subresource, namespace } = access;
      try {
        const answer = JSON.parse(
          await clients.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: {
                verb,
                group,
                resource,
                namespace,
                ...(subresource && { subresource }),
              },
            },
          }),
        ) as { status?: { allowed?: boolean } };
        return answer.status?.allowed === true ? undefined : `not permitted: ${describe(access)}`;
      } catch (error) {
        return `cannot check permission to ${describe(access)}: ${statusMessage(error)}`;
      }
    }),
  );
  for (const problem of reviews) if (problem) problems.push(problem);
  return problems;
};
