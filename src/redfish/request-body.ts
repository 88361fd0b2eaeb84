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

/** A value as a message argument: strings as they are, anything else as JSON. */
const shown = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));

/** `/Boot/BootSourceOverrideTarget` → `Boot/BootSourceOverrideTarget`. */
const pathOf = (instancePath: string, child?: string): string =>
  [...instancePath.split('/').filter((s) => s.length > 0), ...(child === undefined ? [] : [child])]
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('/');

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
 * PropertyUnknown otherwise.
 */
export const parsePatchBody = <T>(
  validate: ValidateFunction<T>,
  body: unknown,
  current: RedfishBody,
): T => {
  if (body === undefined) return fail([emptyJson()]);
  if (!isObject(body)) return fail([unrecognizedRequestBody()]);
  if (Object.keys(body).length === 0) return fail([emptyJson()]);
  if (validate(body)) return body;
  const toMessage = (error: ErrorObject): RedfishMessage => {
    const path = pathOf(error.instancePath);
    const value = valueAt(body, path);
    switch (error.keyword) {
      case 'additionalProperties': {
        const property = pathOf(error.instancePath, String(error.params.additionalProperty));
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
  return fail((validate.errors ?? []).map(toMessage));
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
