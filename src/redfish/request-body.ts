// Parses request bodies at the boundary (STYLE rule 11): a JSON Schema per body gives the static
// type, and each schema violation becomes the precise Base message, never a silent drop.
import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import {
  RedfishError,
  actionParameterMissing,
  actionParameterUnknown,
  actionParameterValueError,
  actionParameterValueNotInList,
  actionParameterValueTypeError,
  emptyJson,
  propertyNotWritable,
  propertyMissing,
  propertyUnknown,
  propertyValueError,
  propertyValueOutOfRange,
  propertyValueNotInList,
  propertyValueTypeError,
  unrecognizedRequestBody,
  type RedfishMessage,
} from './messages.ts';
import type { RedfishBody } from './handler.ts';

// One compiler for the service's own request schemas; allErrors so a client hears about every
// bad property at once.
const ajv = new Ajv({ allErrors: true, strict: true });

export const compileBodySchema = <T>(schema: JSONSchemaType<T>): ValidateFunction<T> =>
  ajv.compile(schema);

/** Longest value text a message echoes: enough to recognise the value, never an amplifier of
 *  a 1 MiB body. */
const shownLength = 100;

/** JSON text of `value`, at most `depth` levels and a few members per level: a body may nest
 *  thousands of levels, which JSON.stringify would recurse into until the stack overflows. */
const preview = (value: unknown, depth: number): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (depth === 0) return `${open}…${close}`;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value).values();
  const parts: string[] = [];
  for (const [key, member] of entries) {
    if (parts.length === 3) {
      parts.push('…');
      break;
    }
    const text = preview(member, depth - 1);
    parts.push(typeof key === 'number' ? text : `${JSON.stringify(key)}:${text}`);
  }
  return `${open}${parts.join(',')}${close}`;
};

/** A value as a message argument: strings as they are, anything else as JSON, cut short. */
const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? value : preview(value, 3);
  return text.length > shownLength ? `${text.slice(0, shownLength)}…` : text;
};

/** `/Boot/BootSourceOverrideTarget` → `Boot/BootSourceOverrideTarget`. */
const pathOf = (instancePath: string, child?: string): string =>
  [...instancePath.split('/').filter((s) => s.length > 0), ...(child === undefined ? [] : [child])]
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('/');

const isUnknownProperty = (error: ErrorObject): boolean => error.keyword === 'additionalProperties';

/** The property an additionalProperties error is about. */
const unknownPath = (error: ErrorObject): string =>
  pathOf(error.instancePath, String(error.params.additionalProperty));

const valueAt = (root: unknown, path: string): unknown =>
  path
    .split('/')
    .filter((s) => s.length > 0)
    .reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object' && Object.hasOwn(node, key)
          ? (node as Record<string, unknown>)[key]
          : undefined,
      root,
    );

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Paths of the nulls in an object, breadth first and without recursion (see preview). */
const nullPaths = (body: Record<string, unknown>): string[] => {
  const found: string[] = [];
  const pending: [string, unknown][] = Object.entries(body);
  for (let i = 0; i < pending.length; i++) {
    const [path, value] = pending[i] ?? ['', undefined];
    if (value === null) found.push(path);
    else if (isObject(value))
      for (const [key, member] of Object.entries(value)) pending.push([`${path}/${key}`, member]);
  }
  return found;
};

const fail = (messages: readonly RedfishMessage[]): never => {
  const [first, ...rest] = messages;
  throw first ? new RedfishError(first, ...rest) : new RedfishError(unrecognizedRequestBody());
};

/**
 * Parses an action's parameters. A missing body counts as `{}` (sushy sends EjectMedia with no
 * body), so required parameters are reported as missing rather than the body as malformed.
 */
export const parseActionBody = <T>(
  validate: ValidateFunction<T>,
  body: unknown,
  action: string,
): T => {
  const input = body ?? {};
  if (!isObject(input)) return fail([unrecognizedRequestBody()]);
  if (validate(input)) return input;
  const toMessage = (error: ErrorObject): RedfishMessage => {
    const parameter = pathOf(error.instancePath);
    const value = valueAt(input, parameter);
    switch (error.keyword) {
      case 'required':
        return actionParameterMissing(
          action,
          pathOf(error.instancePath, String(error.params.missingProperty)),
        );
      case 'additionalProperties':
        return actionParameterUnknown(action, String(error.params.additionalProperty));
      case 'type':
        return actionParameterValueTypeError(shown(value), parameter, action);
      case 'enum':
        return actionParameterValueNotInList(shown(value), parameter, action);
      default:
        return actionParameterValueError(parameter, action);
    }
  };
  return fail((validate.errors ?? []).map(toMessage));
};

/**
 * Parses a PATCH body. A property the schema does not accept is PropertyNotWritable when the
 * resource shows it (`current`, the representation the client could have read) and
 * PropertyUnknown otherwise. A null is PropertyValueTypeError wherever it stands: the schemas
 * mark optional properties nullable (Ajv's JSONSchemaType asks for it), but no property this
 * service lets a client write can be cleared.
 */
export const parsePatchBody = <T>(
  validate: ValidateFunction<T>,
  body: unknown,
  current: RedfishBody,
): T => {
  if (body === undefined) return fail([emptyJson()]);
  if (!isObject(body)) return fail([unrecognizedRequestBody()]);
  if (Object.keys(body).length === 0) return fail([emptyJson()]);
  const valid = validate(body);
  const found = valid ? [] : (validate.errors ?? []);
  // A null is reported as a type error only (not also as outside an enum), and an unknown
  // property that is null only as unknown.
  const unknown = new Set(found.filter(isUnknownProperty).map(unknownPath));
  const nulls = new Set(nullPaths(body).filter((path) => !unknown.has(path)));
  const errors = found.filter((e) => isUnknownProperty(e) || !nulls.has(pathOf(e.instancePath)));
  if (valid && nulls.size === 0) return body;
  const toMessage = (error: ErrorObject): RedfishMessage => {
    const path = pathOf(error.instancePath);
    const value = valueAt(body, path);
    switch (error.keyword) {
      case 'additionalProperties': {
        const property = unknownPath(error);
        return valueAt(current, property) === undefined
          ? propertyUnknown(property)
          : propertyNotWritable(property);
      }
      case 'type':
        return propertyValueTypeError(shown(value), path);
      case 'enum':
        return propertyValueNotInList(shown(value), path);
      case 'minimum':
      case 'maximum':
        return propertyValueOutOfRange(shown(value), path);
      default:
        return propertyValueError(path);
    }
  };
  return fail([
    ...errors.map(toMessage),
    ...[...nulls].map((path) => propertyValueTypeError('null', path)),
  ]);
};

/**
 * Parses the body of a POST that creates a resource (a session login). A missing body counts as
 * `{}`, so each required property is reported as PropertyMissing; properties the resource does
 * not accept on create are PropertyUnknown. Values at `secrets` (Password) are never echoed.
 */
export const parseCreateBody = <T>(
  validate: ValidateFunction<T>,
  body: unknown,
  secrets: readonly string[] = [],
): T => {
  const input = body ?? {};
  if (!isObject(input)) return fail([unrecognizedRequestBody()]);
  if (validate(input)) return input;
  const toMessage = (error: ErrorObject): RedfishMessage => {
    const path = pathOf(error.instancePath);
    switch (error.keyword) {
      case 'required':
        return propertyMissing(pathOf(error.instancePath, String(error.params.missingProperty)));
      case 'additionalProperties':
        return propertyUnknown(pathOf(error.instancePath, String(error.params.additionalProperty)));
      case 'type':
        return propertyValueTypeError(
          secrets.includes(path) ? '(hidden)' : shown(valueAt(input, path)),
          path,
        );
      default:
        return propertyValueError(path);
    }
  };
  return fail((validate.errors ?? []).map(toMessage));
};
