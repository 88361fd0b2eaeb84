// Structural-schema pruning, as kube-apiserver does it for custom resources (apiextensions
// pkg/apiserver/schema/pruning): a field the CRD's openAPIV3Schema does not declare is dropped
// before validation, silently unless the client asked for field validation.
type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The parts of an OpenAPI v3 schema node pruning reads. */
interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
}

/** Kept at the root and in embedded resources whatever the schema says: the API machinery
 *  handles them itself (ObjectMeta has its own decoding). */
const objectFields = ['apiVersion', 'kind', 'metadata'];

const pruneNode = (
  value: unknown,
  schema: SchemaNode | undefined,
  path: string,
  pruned: string[],
  keep: readonly string[] = [],
): void => {
  if (schema === undefined || schema['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => pruneNode(item, schema.items, `${path}[${index}]`, pruned));
    return;
  }
  if (!isRecord(value)) return;
  const embedded = schema['x-kubernetes-embedded-resource'] === true ? objectFields : [];
  for (const [key, child] of Object.entries(value)) {
    const field = path === '' ? key : `${path}.${key}`;
    if (keep.includes(key) || embedded.includes(key)) {
      if (key !== 'metadata') pruneNode(child, schema.properties?.[key], field, pruned);
      continue;
    }
    const declared = schema.properties?.[key];
    if (declared !== undefined) {
      pruneNode(child, declared, field, pruned);
    } else if (isRecord(schema.additionalProperties)) {
      pruneNode(child, schema.additionalProperties, field, pruned);
    } else if (schema.additionalProperties !== true) {
      delete value[key];
      pruned.push(field);
    }
  }
};

/** Drops from `object` (in place) every field its structural schema does not declare, and
 *  returns their paths (`spec.foo`, `spec.items[0].bar`) in the order met. */
export const pruneUnknownFields = (schema: object, object: Json): string[] => {
  const pruned: string[] = [];
  pruneNode(object, schema, '', pruned, objectFields);
  return pruned;
};
