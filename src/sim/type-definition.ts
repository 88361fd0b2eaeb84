// The building blocks of a served type's definition (resource-types.ts, deployment-types.ts):
// printer columns for meta.k8s.io Tables, the Age columns, and the defaults most types share.
import type { KubeObject, ResourceType, TypeKey } from './types.ts';

/** One column of a meta.k8s.io Table; `age` cells are rendered as durations since the value. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format?: string;
  readonly description: string;
  readonly priority?: number;
  /** A CRD-style JSONPath (`.status.phase`, `.a[0].b`, `.c[?(@.type=='Ready')].status`) or a
   *  function for built-in types whose server-side printers compute cells. */
  readonly value: string | ((object: KubeObject) => unknown);
  readonly age?: boolean;
}

export interface ServedType extends ResourceType {
  readonly key: TypeKey;
  readonly printerColumns: readonly PrinterColumn[];
  /** Whether DELETE answers with the deleted object (CRs, namespaces) or a Success Status. */
  readonly deleteReturnsObject: boolean;
  /** Whether the type has a JSON schema the store validates objects against. */
  readonly schema?: 'virtualmachine' | 'datavolume' | 'baremetalhost';
  /** Kind name for strategic-merge metadata in schemas/core-patch-strategies.json. */
  readonly patchStrategiesKind?: string;
}

/** A type as defined, before its store key is derived. */
export type TypeDefinition = Omit<ServedType, 'key'>;

/** The Age column of built-in types (server-side printers). */
export const metaAge: PrinterColumn = {
  name: 'Age',
  type: 'string',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
  value: '.metadata.creationTimestamp',
  age: true,
};

/** The Age column every CRD gets. */
export const crdAge: PrinterColumn = {
  name: 'Age',
  type: 'date',
  description: 'Age of the object',
  value: '.metadata.creationTimestamp',
  age: true,
};

export const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

export const countKeys = (value: unknown): number => Object.keys(record(value)).length;

/** What most types share: no short names, no status subresource, built in, DELETE answers a
 *  Success Status. */
export const baseDefinition = {
  shortNames: [] as readonly string[],
  statusSubresource: false,
  custom: false,
  deleteReturnsObject: false,
};
