// fieldValidation (Strict, Warn — the default — or Ignore) for custom resources whose structural
// schema the simulator has: fields the schema does not declare are refused with the decoder's
// "strict decoding error", or reported in Warning headers. Built-in kinds are not checked (their
// OpenAPI schemas are not carried).
import type { ServedType } from '../resource-types.ts';
import type { KubeObject } from '../types.ts';
import { schemaOf } from '../validation.ts';
import { badRequest } from './status.ts';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Dotted paths of the fields of `value` that `schema` does not declare. An object schema
 *  without properties, or with x-kubernetes-preserve-unknown-fields, takes anything. */
export const unknownFields = (schema: unknown, value: unknown, path = ''): string[] => {
  if (!isRecord(schema) || schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => unknownFields(schema.items, item, `${path}[${i}]`));
  }
  if (!isRecord(value)) return [];
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  if (!properties && !isRecord(additional)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const at = path === '' ? key : `${path}.${key}`;
    const declared = properties?.[key] ?? (isRecord(additional) ? additional : undefined);
    return declared === undefined ? [at] : unknownFields(declared, child, at);
  });
};

/** Throws 400 under Strict; otherwise the Warning header values (none under Ignore). */
export const fieldValidationWarnings = (
  type: ServedType,
  object: KubeObject,
  directive: string | null,
): string[] => {
  const schema = schemaOf(type);
  const mode = directive === null || directive === '' ? 'Warn' : directive;
  if (!schema || mode === 'Ignore') return [];
  const unknown = unknownFields(schema, object).map((f) => `unknown field ${JSON.stringify(f)}`);
  if (unknown.length === 0) return [];
  if (mode === 'Strict') {
    throw badRequest(
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknown.join(', ')}`,
    );
  }
  return unknown.map((w) => `299 - ${JSON.stringify(w)}`);
};
