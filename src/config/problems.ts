// Turns JSON Schema validation errors into messages that name the config path and the expected
// form (`authentication.users[1].port: expected ...`), splitting unknown keys off as warnings.
import type { ErrorObject } from 'ajv';

/** A path such as `chassis[0].vm_selector.labels["app.kubernetes.io/name"]`. */
export const formatPath = (segments: readonly (string | number)[]): string => {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || '(top level)';
};

/** Splits an Ajv instancePath (a JSON Pointer) into keys and array indexes, using the data to
 *  tell an index from a key that happens to be numeric. */
const pointerSegments = (pointer: string, data: unknown): (string | number)[] => {
  const segments: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(key);
      segments.push(index);
      node = node[index] as unknown;
    } else {
      segments.push(key);
      node =
        node !== null && typeof node === 'object'
          ? (node as Record<string, unknown>)[key]
          : undefined;
    }
  }
  return segments;
};

const describe = (value: unknown, secret: boolean): string => {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return `a ${typeof value}`;
  return JSON.stringify(value);
};

const typeWords: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

interface Annotated {
  expected?: string;
  secret?: boolean;
  properties?: Record<string, Annotated>;
  propertyNames?: Annotated;
}

export interface SchemaProblems {
  readonly errors: string[];
  readonly warnings: string[];
}

export const describeSchemaErrors = (
  ajvErrors: readonly ErrorObject[],
  data: unknown,
): SchemaProblems => {
  const errors = new Set<string>();
  const warnings = new Set<string>();
  for (const error of ajvErrors) {
    // Errors raised inside propertyNames repeat the propertyNames error itself.
    if (error.schemaPath.includes('/propertyNames/')) continue;
    const segments = pointerSegments(error.instancePath, data);
    const schema = (error.parentSchema ?? {}) as Annotated;
    const got = describe(error.data, schema.secret === true);
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'additionalProperties':
        warnings.add(
          `${formatPath([...segments, String(params.additionalProperty)])}: unknown key, ignored`,
        );
        break;
      case 'required': {
        const key = String(params.missingProperty);
        const form = schema.properties?.[key]?.expected;
        errors.add(`${formatPath([...segments, key])}: required${form ? ` (${form})` : ''}`);
        break;
      }
      case 'propertyNames':
        errors.add(
          `${formatPath([...segments, String(params.propertyName)])}: expected ${
            schema.propertyNames?.expected ?? 'a valid key'
          }`,
        );
        break;
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
        errors.add(`${formatPath(segments)}: expected one of ${allowed.join(', ')}, got ${got}`);
        break;
      }
      case 'type': {
        const form =
          schema.expected ??
          String(params.type)
            .split(',')
            .map((t) => typeWords[t] ?? t)
            .join(' or ');
        errors.add(`${formatPath(segments)}: expected ${form}, got ${got}`);
        break;
      }
      default:
        errors.add(
          `${formatPath(segments)}: expected ${schema.expected ?? error.message ?? 'a valid value'}, got ${got}`,
        );
    }
  }
  return { errors: [...errors], warnings: [...warnings] };
};
