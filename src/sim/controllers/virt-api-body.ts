// Request bodies of virt-api verbs, decoded the way virt-api's decodeBody does (Go JSON into
// v1.*Options): empty is fine, wrong types are 400 BadRequest, unknown fields are ignored.
import type { StatusError } from '../types.ts';
import { badRequest } from './virt-api-errors.ts';

export type FieldType = 'number' | 'boolean' | 'string' | 'object' | 'array';
const goTypes: Record<FieldType, string> = {
  number: 'int64',
  boolean: 'bool',
  string: 'string',
  object: 'struct',
  array: '[]string',
};

/** Decodes an options body into a record, checking the listed fields' JSON types. */
export const decode = (
  body: unknown,
  struct: string,
  fields: Record<string, FieldType>,
): Record<string, unknown> => {
  if (body === undefined || body === null) return {};
  const fail = (what: string, field?: string, type?: FieldType): StatusError =>
    badRequest(
      `Can not unmarshal Request body to struct, error: json: cannot unmarshal ${what} into Go ${
        field && type
          ? `struct field ${struct}.${field} of type ${goTypes[type]}`
          : `value of type v1.${struct}`
      }`,
    );
  if (typeof body !== 'object' || Array.isArray(body))
    throw fail(Array.isArray(body) ? 'array' : typeof body);
  const record = body as Record<string, unknown>;
  for (const [field, type] of Object.entries(fields)) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    const actual = Array.isArray(value) ? 'array' : typeof value;
    if (actual !== type || (type === 'number' && !Number.isInteger(value)))
      throw fail(actual === 'number' ? 'number' : actual, field, type);
  }
  return record;
};

/** A request with dryRun: ["All"] is validated but changes nothing. */
export const isDryRun = (options: Record<string, unknown>): boolean =>
  Array.isArray(options.dryRun) && options.dryRun[0] === 'All';
