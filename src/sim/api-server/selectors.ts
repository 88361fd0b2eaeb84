// Label and field selectors (labelSelector / fieldSelector query parameters) with the grammar
// and the selectable fields kube-apiserver supports.
import type { KubeObject } from '../types.ts';
import type { ServedType } from '../resource-types.ts';
import { display, jsonPath } from './table.ts';
import { badRequest } from './status.ts';

export type Selector = (object: KubeObject) => boolean;

type LabelRequirement =
  | { op: 'exists' | '!exists'; key: string }
  | { op: '=' | '!='; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: readonly string[] };

// apimachinery/pkg/labels: qualified names and label values.
const labelKey =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas outside parentheses. */
const splitTerms = (selector: string): string[] => {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  terms.push(current.trim());
  return terms.filter((t) => t !== '');
};

const parseLabelTerm = (term: string): LabelRequirement => {
  const fail = () =>
    badRequest(`unable to parse requirement: found '${term}', expected: a valid label selector`);
  const checkKey = (key: string) => {
    if (!labelKey.test(key) || key.length > 316) throw fail();
    return key;
  };
  const checkValue = (value: string) => {
    if (!labelValue.test(value) || value.length > 63) throw fail();
    return value;
  };
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim()));
    return { op: set[2] === 'in' ? 'in' : 'notin', key: checkKey(set[1] ?? ''), values };
  }
  const cmp = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const op = cmp[2] === '!=' ? '!=' : '=';
    return { op, key: checkKey(cmp[1] ?? ''), value: checkValue(cmp[3] ?? '') };
  }
  if (term.startsWith('!')) return { op: '!exists', key: checkKey(term.slice(1).trim()) };
  return { op: 'exists', key: checkKey(term) };
};

const matchesLabel = (labels: Readonly<Record<string, string>>, r: LabelRequirement): boolean => {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
      return has && value === r.value;
    case '!=':
      return !has || value !== r.value;
    case 'in':
      return has && r.values.includes(value ?? '');
    case 'notin':
      return !has || !r.values.includes(value ?? '');
  }
};

export const parseLabelSelector = (selector: string | null): Selector => {
  if (selector === null || selector.trim() === '') return () => true;
  const requirements = splitTerms(selector).map(parseLabelTerm);
  return (object) => requirements.every((r) => matchesLabel(object.metadata.labels ?? {}, r));
};

// Fields the built-in registries add to metadata.name / metadata.namespace (GetAttrs functions).
const extraFields: Readonly<Record<string, readonly string[]>> = {
  namespaces: ['status.phase'],
  secrets: ['type'],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

/** Selectable fields whose value is not the object's field of that path: an event's `source`
 *  is its source.component, else its reportingComponent (registry/core/event/strategy.go). */
const computedFields: Readonly<Record<string, (object: KubeObject) => unknown>> = {
  'events source': (object) => {
    const component = (object.source as { component?: unknown } | undefined)?.component;
    return typeof component === 'string' && component !== ''
      ? component
      : object.reportingComponent;
  },
};

export const parseFieldSelector = (type: ServedType, selector: string | null): Selector => {
  if (selector === null || selector.trim() === '') return () => true;
  const known = ['metadata.name', 'metadata.namespace', ...(extraFields[type.resource] ?? [])];
  const terms = splitTerms(selector).map((term) => {
    const m = /^([^=!]+)(==|!=|=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = (m[1] ?? '').trim();
    if (!known.includes(field)) {
      throw badRequest(
        type.custom
          ? `field label not supported: ${field}`
          : `"${field}" is not a known field selector: only "${known.join('", "')}"`,
      );
    }
    return { field, negate: m[2] === '!=', value: (m[3] ?? '').trim() };
  });
  return (object) =>
    terms.every(({ field, negate, value }) => {
      const computed = computedFields[`${type.resource} ${field}`];
      const actual = computed ? computed(object) : jsonPath(object, `.${field}`);
      const text = actual === undefined || actual === null ? '' : display(actual);
      return negate ? text !== value : text === value;
    });
};
