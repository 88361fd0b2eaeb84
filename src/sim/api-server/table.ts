// meta.k8s.io Table responses (kubectl get): CRD printer columns evaluated by a small subset of
// Kubernetes JSONPath, ages rendered like apimachinery's duration.HumanDuration.
import type { KubeObject } from '../types.ts';
import type { PrinterColumn, ServedType } from '../resource-types.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  /** `v1` or `v1beta1`, as the Accept header asked. */
  readonly version: string;
  readonly includeObject: IncludeObject;
}

/** apimachinery/pkg/util/duration.HumanDuration. */
export const humanDuration = (ms: number): string => {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
};

/** A JSON value as text: strings as they are, everything else as JSON. */
export const display = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? '');

const step =
  /^(?:\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*['"]([^'"]*)['"]\)\])/;

/** Evaluates the JSONPath forms CRD printer columns use; undefined when nothing matches. */
export const jsonPath = (object: unknown, path: string): unknown => {
  let nodes: unknown[] = [object];
  let rest = path;
  while (rest !== '') {
    const m = step.exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
    const [, field, index, filterField, filterValue] = m;
    nodes = nodes.flatMap((node): unknown[] => {
      if (field !== undefined) {
        return typeof node === 'object' && node !== null && !Array.isArray(node) && field in node
          ? [(node as Record<string, unknown>)[field]]
          : [];
      }
      if (!Array.isArray(node)) return [];
      if (index !== undefined) return index in node ? [node[Number(index)]] : [];
      return node.filter(
        (item) => display(jsonPath(item, `.${filterField ?? ''}`)) === (filterValue ?? ''),
      );
    });
  }
  return nodes[0];
};

const cell = (column: PrinterColumn, object: KubeObject, now: number): unknown => {
  const value =
    typeof column.value === 'string' ? jsonPath(object, column.value) : column.value(object);
  if (value === undefined || value === null) return null;
  if (column.age) {
    const at = Date.parse(display(value));
    return Number.isNaN(at) ? null : humanDuration(now - at);
  }
  if (column.type === 'integer') return typeof value === 'number' ? Math.trunc(value) : null;
  return column.type === 'string' ? display(value) : value;
};

const nameColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

export const columnDefinitions = (type: ServedType): Record<string, unknown>[] => [
  nameColumn,
  ...type.printerColumns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description,
    priority: c.priority ?? 0,
  })),
];

export const tableRow = (
  type: ServedType,
  object: KubeObject,
  request: TableRequest,
  now: number,
): Record<string, unknown> => ({
  cells: [object.metadata.name ?? '', ...type.printerColumns.map((c) => cell(c, object, now))],
  ...(request.includeObject === 'None'
    ? {}
    : {
        object:
          request.includeObject === 'Object'
            ? object
            : {
                kind: 'PartialObjectMetadata',
                apiVersion: `meta.k8s.io/${request.version}`,
                metadata: object.metadata,
              },
      }),
});

export const toTable = (
  type: ServedType,
  objects: readonly KubeObject[],
  request: TableRequest,
  options: { now: number; listMeta: Record<string, unknown>; withColumns?: boolean },
): Record<string, unknown> => ({
  kind: 'Table',
  apiVersion: `meta.k8s.io/${request.version}`,
  metadata: options.listMeta,
  columnDefinitions: options.withColumns === false ? [] : columnDefinitions(type),
  rows: objects.map((o) => tableRow(type, o, request, options.now)),
});
