// The DSP0266 query parameters: `$select`, `$expand` (`*`, `.`, `~`, `$levels=1`), `only` and
// `$top`/`$skip` are implemented; every other `$` option and the other Redfish parameters answer
// 501; bad values answer 400. ProtocolFeaturesSupported is built from the same constants.
import {
  RedfishError,
  queryCombinationInvalid,
  queryNotSupportedOnOperation,
  queryParameterOutOfRange,
  queryParameterUnsupported,
  queryParameterValueTypeError,
  type RedfishMessage,
} from './messages.ts';
import type { RedfishBody } from './handler.ts';

/** Deepest `$levels` this service expands. */
export const expandMaxLevels = 1;

/** ServiceRoot.ProtocolFeaturesSupported: exactly what parseQuery accepts. */
export const protocolFeaturesSupported: RedfishBody = {
  ExpandQuery: {
    ExpandAll: true,
    Levels: true,
    Links: true,
    NoLinks: true,
    MaxLevels: expandMaxLevels,
  },
  SelectQuery: true,
  FilterQuery: false,
  OnlyMemberQuery: true,
  ExcerptQuery: false,
  TopSkipQuery: true,
  MultipleHTTPRequests: true,
};

/** `*` every link, `~` only those under Links, `.` only those outside Links (DSP0266). */
export type ExpandKind = 'all' | 'links' | 'noLinks';

export interface QueryOptions {
  /** `$select` property paths, each split at `/`. */
  readonly select?: readonly (readonly string[])[];
  readonly expand?: ExpandKind;
  readonly only: boolean;
  readonly top?: number;
  readonly skip?: number;
}

const implemented = new Set(['$select', '$expand', 'only', '$top', '$skip']);
/** Redfish query parameters without a `$` that this service does not implement. */
const unimplemented = new Set(['excerpt', 'includeoriginofcondition']);

const isQueryOption = (key: string): boolean =>
  key.startsWith('$') || implemented.has(key) || unimplemented.has(key.toLowerCase());

const fail = (messages: readonly RedfishMessage[]): never => {
  const [first, ...rest] = messages;
  if (first === undefined) throw new Error('no message to fail with');
  throw new RedfishError(first, ...rest);
};

/** A value given once; a repeated parameter is as malformed as a wrong type. */
const single = (key: string, value: unknown): string =>
  typeof value === 'string' ? value : fail([queryParameterValueTypeError(String(value), key)]);

/** Non-negative integers; anything else is the wrong type, a negative one out of range. */
const count = (key: string, value: string): number => {
  if (/^-\d+$/.test(value)) return fail([queryParameterOutOfRange(value, key, '0 or more')]);
  if (!/^\d+$/.test(value)) return fail([queryParameterValueTypeError(value, key)]);
  const n = Number(value);
  return Number.isSafeInteger(n)
    ? n
    : fail([queryParameterOutOfRange(value, key, `0-${Number.MAX_SAFE_INTEGER}`)]);
};

const expandKinds: Readonly<Record<string, ExpandKind>> = {
  '*': 'all',
  '~': 'links',
  '.': 'noLinks',
};

const parseExpand = (value: string): ExpandKind => {
  const match = /^([*~.])(?:\(\$levels=([^)]*)\))?$/.exec(value);
  const kind = match?.[1] === undefined ? undefined : expandKinds[match[1]];
  if (kind === undefined) return fail([queryParameterValueTypeError(value, '$expand')]);
  const levels = match?.[2];
  if (levels !== undefined) {
    if (!/^\d+$/.test(levels)) return fail([queryParameterValueTypeError(value, '$expand')]);
    if (Number(levels) < 1 || Number(levels) > expandMaxLevels)
      return fail([queryParameterOutOfRange(levels, '$levels', `1-${expandMaxLevels}`)]);
  }
  return kind;
};

/** A property name as it may appear in a path: letters, digits and the OData annotation marks. */
const propertyName = /^[A-Za-z0-9_@.#]+$/;

const parseSelect = (value: string): string[][] => {
  const paths = value.split(',').map((p) => p.trim().split('/'));
  if (paths.some((path) => path.some((segment) => !propertyName.test(segment))))
    return fail([queryParameterValueTypeError(value, '$select')]);
  return paths;
};

/**
 * Reads the query options of a request. Unimplemented options answer 501 (all of them named),
 * malformed values 400; other parameters are ignored (DSP0266). On anything but a read, query
 * options have nothing to shape and answer 400.
 */
export const parseQuery = (
  query: Readonly<Record<string, unknown>>,
  isRead: boolean,
): QueryOptions => {
  const keys = Object.keys(query).filter(isQueryOption);
  const unsupported = keys.filter((k) => !implemented.has(k));
  if (unsupported.length > 0) fail(unsupported.map(queryParameterUnsupported));
  if (keys.length > 0 && !isRead) fail([queryNotSupportedOnOperation()]);
  const raw = (key: string) => (key in query ? single(key, query[key]) : undefined);
  const only = raw('only');
  if (only !== undefined) {
    if (only !== '') fail([queryParameterValueTypeError(only, 'only')]);
    // DSP0266: `only` stands alone.
    if (keys.length > 1) fail([queryCombinationInvalid()]);
  }
  const select = raw('$select');
  const expand = raw('$expand');
  const top = raw('$top');
  const skip = raw('$skip');
  return {
    only: only !== undefined,
    ...(select === undefined ? {} : { select: parseSelect(select) }),
    ...(expand === undefined ? {} : { expand: parseExpand(expand) }),
    ...(top === undefined ? {} : { top: count('$top', top) }),
    ...(skip === undefined ? {} : { skip: count('$skip', skip) }),
  };
};

/** Reads another resource as the caller (same privileges, same scope); undefined when the caller
 *  may not see it or it does not exist, so the reference stays unexpanded. */
export type ResourceReader = (uri: string) => Promise<RedfishBody | undefined>;

type Json = unknown;

const isLink = (node: Json): node is { '@odata.id': string } =>
  node !== null &&
  typeof node === 'object' &&
  !Array.isArray(node) &&
  Object.keys(node).length === 1 &&
  typeof (node as Record<string, unknown>)['@odata.id'] === 'string';

/** Replaces references with the resources they name, one level deep. */
const expandLinks = async (body: RedfishBody, kind: ExpandKind, read: ResourceReader) => {
  const walk = async (node: Json, underLinks: boolean): Promise<Json> => {
    if (isLink(node)) {
      const wanted = kind === 'all' || (kind === 'links') === underLinks;
      return (wanted && (await read(node['@odata.id']))) || node;
    }
    if (Array.isArray(node)) return Promise.all(node.map((n) => walk(n, underLinks)));
    if (node === null || typeof node !== 'object') return node;
    const entries = await Promise.all(
      Object.entries(node).map(async ([key, value]) => [
        key,
        await walk(value, underLinks || key === 'Links'),
      ]),
    );
    return Object.fromEntries(entries) as Json;
  };
  return (await walk(body, false)) as RedfishBody;
};

/** The properties named by `paths`, with the identity annotations DSP0266 always returns. */
const selectProperties = (body: RedfishBody, paths: readonly (readonly string[])[]) => {
  const pick = (node: Json, path: readonly string[]): Json => {
    const [head, ...rest] = path;
    if (head === undefined) return node;
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    const value = (node as Record<string, unknown>)[head];
    const picked = value === undefined ? undefined : pick(value, rest);
    return picked === undefined ? undefined : { [head]: picked };
  };
  const merge = (a: Json, b: Json): Json => {
    if (a === undefined) return b;
    if (b === undefined) return a;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return b;
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  };
  const always = ['@odata.id', '@odata.type', '@odata.context', '@odata.etag'].map((k) => [k]);
  return [...always, ...paths].reduce<Json>(
    (acc, path) => merge(acc, pick(body, path)),
    {},
  ) as RedfishBody;
};

/** The `Members@odata.nextLink` of a page: the request's own query with `$skip` moved on. */
const nextLink = (path: string, rawQuery: string, skip: number): string => {
  const kept = rawQuery.split('&').filter((p) => p.length > 0 && !p.startsWith('$skip='));
  return `${path}?${[...kept, `$skip=${skip}`].join('&')}`;
};

/**
 * Shapes a GET answer by its query options, in DSP0266's order: `only` replaces a one-member
 * collection with its member; `$top`/`$skip` page Members (count stays the total); `$expand`
 * inlines references; `$select` keeps the named properties.
 */
export const applyQuery = async (
  body: RedfishBody,
  options: QueryOptions,
  request: { readonly path: string; readonly rawQuery: string; readonly read: ResourceReader },
): Promise<RedfishBody> => {
  const members = Array.isArray(body.Members) ? (body.Members as Json[]) : undefined;
  if (options.only) {
    const [member] = members ?? [];
    if (members?.length === 1 && isLink(member))
      return (await request.read(member['@odata.id'])) ?? body;
    return body;
  }
  let shaped = body;
  if (members !== undefined && (options.top !== undefined || options.skip !== undefined)) {
    const skip = options.skip ?? 0;
    const end = options.top === undefined ? members.length : skip + options.top;
    shaped = {
      ...shaped,
      Members: members.slice(skip, end),
      ...(end < members.length
        ? { 'Members@odata.nextLink': nextLink(request.path, request.rawQuery, end) }
        : {}),
    };
  }
  if (options.expand !== undefined)
    shaped = await expandLinks(shaped, options.expand, request.read);
  if (options.select !== undefined) shaped = selectProperties(shaped, options.select);
  return shaped;
};
