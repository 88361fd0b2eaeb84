// The API server's own validation of the built-in kinds an installation creates (k8s.io/kubernetes
// pkg/apis/{core,apps,rbac,policy}/validation), reduced to the rules a wrong manifest breaks:
// required fields, selector/template agreement, port ranges, RBAC rules and bindings, and the
// fields that are immutable after create. Field errors render as field.Error does.
import type { KubeObject } from './types.ts';
import type { FieldError } from './validation.ts';
import { invalidValueError, notSupportedError, requiredError } from './validation.ts';
import { record } from './type-definition.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/** Go's zero value or an empty slice or map, which omitempty drops. */
const empty = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  value === '' ||
  (Array.isArray(value) && value.length === 0) ||
  (isRecord(value) && Object.keys(value).length === 0);
const stringList = (value: unknown): string => {
  const items = list(value).map((v) => JSON.stringify(String(v)));
  return `[]string{${items.join(', ')}}`;
};
const stringMap = (value: unknown): string =>
  `map[string]string{${Object.entries(record(value))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(String(v))}`)
    .join(', ')}}`;
const immutable = (field: string, value: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  body: `Invalid value: ${value}: field is immutable`,
});

const secret = (object: KubeObject, existing: KubeObject | undefined): FieldError[] =>
  existing && existing.type !== object.type
    ? [immutable('type', JSON.stringify(object.type ?? ''))]
    : [];

const service = (object: KubeObject): FieldError[] => {
  const spec = record(object.spec);
  const errors: FieldError[] = [];
  const ports = list(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && spec.type !== 'ExternalName' && !headless) {
    errors.push(requiredError('spec.ports'));
  }
  ports.forEach((p, i) => {
    const port = record(p);
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && empty(port.name)) errors.push(requiredError(`${at}.name`));
    if (typeof port.port !== 'number' || port.port < 1 || port.port > 65535) {
      errors.push(
        invalidValueError(`${at}.port`, port.port ?? 0, 'must be between 1 and 65535, inclusive'),
      );
    }
  });
  return errors;
};

/** Whether every matchLabels pair of `selector` is among `labels` (matchExpressions pass). */
const selects = (selector: Json, labels: Json): boolean =>
  Object.entries(record(selector.matchLabels)).every(([k, v]) => labels[k] === v);

const deployment = (object: KubeObject, existing: KubeObject | undefined): FieldError[] => {
  const spec = record(object.spec);
  const errors: FieldError[] = [];
  const selector = spec.selector;
  const template = record(spec.template);
  const labels = record(record(template.metadata).labels);
  if (!isRecord(selector) || (empty(selector.matchLabels) && empty(selector.matchExpressions))) {
    errors.push(requiredError('spec.selector'));
  } else if (!selects(selector, labels)) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      body: `Invalid value: ${stringMap(labels)}: \`selector\` does not match template \`labels\``,
    });
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    errors.push(
      invalidValueError('spec.replicas', spec.replicas, 'must be greater than or equal to 0'),
    );
  }
  const containers = list(record(template.spec).containers);
  if (containers.length === 0) errors.push(requiredError('spec.template.spec.containers'));
  containers.forEach((c, i) => {
    const at = `spec.template.spec.containers[${i}]`;
    if (empty(record(c).name)) errors.push(requiredError(`${at}.name`));
    if (empty(record(c).image)) errors.push(requiredError(`${at}.image`));
  });
  const before = record(existing?.spec).selector;
  if (existing && JSON.stringify(before) !== JSON.stringify(selector)) {
    errors.push(immutable('spec.selector', JSON.stringify(selector ?? null)));
  }
  return errors;
};

/** rbac/validation ValidatePolicyRule. */
const rules = (object: KubeObject, namespaced: boolean): FieldError[] =>
  list(object.rules).flatMap((r, i) => {
    const rule = record(r);
    const at = `rules[${i}]`;
    const errors: FieldError[] = [];
    if (empty(rule.verbs)) {
      errors.push(requiredError(`${at}.verbs`, 'verbs must contain at least one value'));
    }
    if (!empty(rule.nonResourceURLs)) {
      const urls = stringList(rule.nonResourceURLs);
      const invalidUrls = (detail: string): FieldError => ({
        type: 'FieldValueInvalid',
        field: `${at}.nonResourceURLs`,
        body: `Invalid value: ${urls}: ${detail}`,
      });
      if (namespaced)
        errors.push(invalidUrls('namespaced rules cannot apply to non-resource URLs'));
      if (!empty(rule.apiGroups) || !empty(rule.resources) || !empty(rule.resourceNames)) {
        errors.push(
          invalidUrls('rules cannot apply to both regular resources and non-resource URLs'),
        );
      }
      return errors;
    }
    if (empty(rule.apiGroups)) {
      errors.push(
        requiredError(`${at}.apiGroups`, 'resource rules must supply at least one api group'),
      );
    }
    if (empty(rule.resources)) {
      errors.push(
        requiredError(`${at}.resources`, 'resource rules must supply at least one resource'),
      );
    }
    return errors;
  });

const rbacGroup = 'rbac.authorization.k8s.io';

/** rbac/validation ValidateRoleBinding / ValidateClusterRoleBinding and their update rule. */
const binding = (
  object: KubeObject,
  existing: KubeObject | undefined,
  namespaced: boolean,
): FieldError[] => {
  const errors: FieldError[] = [];
  const ref = record(object.roleRef);
  if (ref.apiGroup !== rbacGroup)
    errors.push(notSupportedError('roleRef.apiGroup', ref.apiGroup ?? '', [rbacGroup]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (typeof ref.kind !== 'string' || !kinds.includes(ref.kind)) {
    errors.push(notSupportedError('roleRef.kind', ref.kind ?? '', kinds));
  }
  if (empty(ref.name)) errors.push(requiredError('roleRef.name'));
  list(object.subjects).forEach((s, i) => {
    const subject = record(s);
    const at = `subjects[${i}]`;
    if (empty(subject.name)) errors.push(requiredError(`${at}.name`));
    switch (subject.kind) {
      case 'ServiceAccount':
        if (!empty(subject.apiGroup))
          errors.push(notSupportedError(`${at}.apiGroup`, subject.apiGroup, ['']));
        if (!namespaced && empty(subject.namespace)) errors.push(requiredError(`${at}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (subject.apiGroup !== rbacGroup)
          errors.push(notSupportedError(`${at}.apiGroup`, subject.apiGroup ?? '', [rbacGroup]));
        break;
      default:
        errors.push(
          notSupportedError(`${at}.kind`, subject.kind ?? '', ['ServiceAccount', 'User', 'Group']),
        );
    }
  });
  if (existing && JSON.stringify(existing.roleRef) !== JSON.stringify(object.roleRef)) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'roleRef',
      body: `Invalid value: ${JSON.stringify(object.roleRef ?? null)}: cannot change roleRef`,
    });
  }
  return errors;
};

const podDisruptionBudget = (object: KubeObject): FieldError[] => {
  const spec = record(object.spec);
  return spec.minAvailable !== undefined && spec.maxUnavailable !== undefined
    ? [
        {
          type: 'FieldValueInvalid',
          field: 'spec',
          body: `Invalid value: ${JSON.stringify(spec)}: minAvailable and maxUnavailable cannot be both set`,
        },
      ]
    : [];
};

/** The field errors of `object` (after defaulting); `existing` on updates. */
export const builtinFieldErrors = (
  typeKey: string,
  object: KubeObject,
  existing: KubeObject | undefined,
): FieldError[] => {
  switch (typeKey) {
    case 'secrets':
      return secret(object, existing);
    case 'services':
      return service(object);
    case 'deployments.apps':
      return deployment(object, existing);
    case 'roles.rbac.authorization.k8s.io':
      return rules(object, true);
    case 'clusterroles.rbac.authorization.k8s.io':
      return rules(object, false);
    case 'rolebindings.rbac.authorization.k8s.io':
      return binding(object, existing, true);
    case 'clusterrolebindings.rbac.authorization.k8s.io':
      return binding(object, existing, false);
    case 'poddisruptionbudgets.policy':
      return podDisruptionBudget(object);
    default:
      return [];
  }
};
