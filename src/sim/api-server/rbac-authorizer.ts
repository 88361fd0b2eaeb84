// The RBAC authorizer (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac) over the stored Roles,
// ClusterRoles and their bindings, plus the bootstrap policy every cluster has (any authenticated
// user may create SelfSubjectAccessReviews and read discovery), which is built in here rather
// than stored. Denials are the API server's 403 Forbidden Status, word for word.
import type { KubeObject, ObjectStore } from '../types.ts';
import { StatusError } from '../types.ts';
import type { RequestAttributes } from './request-info.ts';

export interface UserInfo {
  /** `system:serviceaccount:<namespace>:<name>` for ServiceAccount tokens. */
  readonly name: string;
  readonly groups: readonly string[];
}

export interface Decision {
  readonly allowed: boolean;
  /** `RBAC: allowed by ...`, or why roles could not be read; '' when simply not allowed. */
  readonly reason: string;
}

interface Rule {
  readonly verbs?: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}
interface Subject {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}
interface RoleRef {
  readonly kind?: string;
  readonly name?: string;
}

const rbacGroup = 'rbac.authorization.k8s.io';
const key = (resource: string) => `${resource}.${rbacGroup}`;

// plugin/pkg/auth/authorizer/rbac/bootstrappolicy: the ClusterRoles bound to system:authenticated.
const discoveryUrls = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/livez',
  '/openapi',
  '/openapi/*',
  '/readyz',
  '/version',
  '/version/',
];
const bootstrap: readonly { name: string; rules: readonly Rule[] }[] = [
  {
    name: 'system:basic-user',
    rules: [
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
      {
        verbs: ['create'],
        apiGroups: ['authentication.k8s.io'],
        resources: ['selfsubjectreviews'],
      },
    ],
  },
  { name: 'system:discovery', rules: [{ verbs: ['get'], nonResourceURLs: discoveryUrls }] },
  {
    name: 'system:public-info-viewer',
    rules: [
      {
        verbs: ['get'],
        nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'],
      },
    ],
  },
];

const has = (list: readonly string[] | undefined, value: string): boolean =>
  (list ?? []).includes('*') || (list ?? []).includes(value);

/** rbac/v1 helpers RuleAllows. */
const ruleAllows = (attrs: RequestAttributes, rule: Rule): boolean => {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some(
      (url) =>
        url === '*' ||
        url === attrs.path ||
        (url.endsWith('*') && attrs.path.startsWith(url.slice(0, -1))),
    );
  }
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const resourceMatches = (rule.resources ?? []).some(
    (r) =>
      r === '*' || r === combined || (attrs.subresource !== '' && r === `*/${attrs.subresource}`),
  );
  const nameMatches =
    (rule.resourceNames ?? []).length === 0 || (rule.resourceNames ?? []).includes(attrs.name);
  return has(rule.apiGroups, attrs.apiGroup) && resourceMatches && nameMatches;
};

const describeSubject = (s: Subject, bindingNamespace: string): string =>
  s.kind === 'ServiceAccount'
    ? `${s.kind} ${JSON.stringify(`${s.name ?? ''}/${s.namespace || bindingNamespace}`)}`
    : `${s.kind ?? ''} ${JSON.stringify(s.name ?? '')}`;

/** The subject of the binding that names `user`, if any (rbac appliesToUser). */
const subjectFor = (user: UserInfo, binding: KubeObject): Subject | undefined =>
  ((binding.subjects ?? []) as Subject[]).find((s) => {
    switch (s.kind ?? '') {
      case 'User':
        return s.name === user.name;
      case 'Group':
        return user.groups.includes(s.name ?? '');
      case 'ServiceAccount': {
        const ns = s.namespace || (binding.metadata.namespace ?? '');
        return ns !== '' && user.name === `system:serviceaccount:${ns}:${s.name ?? ''}`;
      }
      default:
        return false;
    }
  });

export const authorize = (
  store: ObjectStore,
  user: UserInfo,
  attrs: RequestAttributes,
): Decision => {
  const errors: string[] = [];
  const rulesOf = (ref: RoleRef, namespace: string): readonly Rule[] => {
    const cluster = ref.kind === 'ClusterRole';
    const role = store
      .listShared(key(cluster ? 'clusterroles' : 'roles'), cluster ? undefined : namespace)
      .items.find((r) => r.metadata.name === ref.name);
    if (!role) {
      errors.push(
        `${cluster ? 'clusterrole' : 'role'}.${rbacGroup} ${JSON.stringify(ref.name ?? '')} not found`,
      );
      return [];
    }
    return (role.rules ?? []) as Rule[];
  };
  if (user.groups.includes('system:authenticated')) {
    for (const role of bootstrap) {
      if (role.rules.some((r) => ruleAllows(attrs, r))) {
        return {
          allowed: true,
          reason: `RBAC: allowed by ClusterRoleBinding "${role.name}" of ClusterRole "${role.name}" to Group "system:authenticated"`,
        };
      }
    }
  }
  const visit = (
    binding: KubeObject,
    describe: (subject: Subject) => string,
  ): Decision | undefined => {
    const subject = subjectFor(user, binding);
    if (!subject) return undefined;
    const ref = (binding.roleRef ?? {}) as RoleRef;
    const rules = rulesOf(ref, binding.metadata.namespace ?? '');
    return rules.some((r) => ruleAllows(attrs, r))
      ? { allowed: true, reason: `RBAC: allowed by ${describe(subject)}` }
      : undefined;
  };
  for (const binding of store.listShared(key('clusterrolebindings')).items) {
    const ref = (binding.roleRef ?? {}) as RoleRef;
    const decision = visit(
      binding,
      (s) =>
        `ClusterRoleBinding ${JSON.stringify(binding.metadata.name)} of ${ref.kind ?? ''} ${JSON.stringify(ref.name ?? '')} to ${describeSubject(s, '')}`,
    );
    if (decision) return decision;
  }
  const namespace = attrs.resourceRequest ? attrs.namespace : '';
  if (namespace !== '') {
    for (const binding of store.listShared(key('rolebindings'), namespace).items) {
      const ref = (binding.roleRef ?? {}) as RoleRef;
      const decision = visit(
        binding,
        (s) =>
          `RoleBinding ${JSON.stringify(`${binding.metadata.name ?? ''}/${namespace}`)} of ${ref.kind ?? ''} ${JSON.stringify(ref.name ?? '')} to ${describeSubject(s, namespace)}`,
      );
      if (decision) return decision;
    }
  }
  return {
    allowed: false,
    reason:
      errors.length === 0
        ? ''
        : `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}`,
  };
};

/** apiserver's ForbiddenStatusError for a denied request. */
export const forbidden = (
  user: UserInfo,
  attrs: RequestAttributes,
  reason: string,
): StatusError => {
  let message: string;
  if (!attrs.resourceRequest) {
    message = `User ${JSON.stringify(user.name)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  } else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const where = attrs.namespace
      ? `in the namespace ${JSON.stringify(attrs.namespace)}`
      : 'at the cluster scope';
    message = `User ${JSON.stringify(user.name)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${where}`;
  }
  if (reason !== '') message = `${message}: ${reason}`;
  const group = attrs.resourceRequest ? attrs.apiGroup : '';
  const resource = attrs.resourceRequest ? attrs.resource : '';
  const name = attrs.resourceRequest ? attrs.name : '';
  const qualified = resource === '' ? '' : group === '' ? resource : `${resource}.${group}`;
  const full =
    qualified === ''
      ? `forbidden: ${message}`
      : name === ''
        ? `${qualified} is forbidden: ${message}`
        : `${qualified} ${JSON.stringify(name)} is forbidden: ${message}`;
  return new StatusError('Forbidden', full, {
    ...(name === '' ? {} : { name }),
    ...(group === '' ? {} : { group }),
    ...(resource === '' ? {} : { kind: resource }),
  });
};
