// fast-check generators of hostile requests over every route of the table: methods, paths
// (valid Ids, garbage, bad encodings, overlong segments), query strings, auth variants, headers,
// content types and bodies of every JSON type, deep, huge or invalid.
import fc from 'fast-check';
import { routeTable } from '../../src/redfish/routes.ts';

/** How a request authenticates (the driver turns it into headers and a source address). */
export type AuthVariant =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly user: string }
  | { readonly kind: 'badBasic'; readonly user: string }
  | { readonly kind: 'malformedBasic'; readonly header: string }
  | { readonly kind: 'token'; readonly user: string }
  | { readonly kind: 'badToken'; readonly token: string };

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly auth: AuthVariant;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

/** Values a route parameter may take that name real things (filled in from the service). */
export type KnownIds = Readonly<Record<string, readonly string[]>>;

const methods = [
  'GET',
  'HEAD',
  'POST',
  'PATCH',
  'PUT',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'QUERY',
  'PROPFIND',
  'SEARCH',
  'PURGE',
  'FAKEMETHOD',
] as const;

/** Segments no client should send but attackers do (all valid request-target characters). */
const hostileSegments = [
  '%zz',
  '%',
  '%00',
  '%2F',
  '%2e%2e',
  '..',
  '.',
  '%E0%A4%A',
  '%C0%AF',
  '%25zz',
  'a'.repeat(101),
  'x'.repeat(400),
  'demo-a.',
  '.demo-a',
  '%F0%9F%92%A9',
  '$metadata',
  'Members',
] as const;

const segment = (known: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('x') },
    { weight: 2, arbitrary: fc.constantFrom(...hostileSegments) },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }).map(encodeURIComponent) },
  );

const templates = [...new Set(routeTable.map((r) => r.url))];

/** A route's URL with its parameters filled, possibly mangled (suffix, slashes, case). */
const routePath = (ids: KnownIds) =>
  fc
    .constantFrom(...templates)
    .chain((template) =>
      fc.tuple(
        ...template
          .split('/')
          .map((part) =>
            part.startsWith(':') ? segment(ids[part.slice(1)] ?? []) : fc.constant(part),
          ),
      ),
    )
    .chain((parts) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constant(parts.join('/')) },
        { weight: 1, arbitrary: fc.constant(`${parts.join('/')}/`) },
        { weight: 1, arbitrary: segment([]).map((s) => `${parts.join('/')}/${s}`) },
        { weight: 1, arbitrary: fc.constant(parts.join('//')) },
        { weight: 1, arbitrary: fc.constant(parts.join('/').toLowerCase()) },
      ),
    );

const query = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.constantFrom(
            '$expand',
            '$select',
            '$top',
            '$skip',
            '$filter',
            'only',
            '$levels',
            'excerpt',
            'x',
          ),
          fc.oneof(
            fc.constantFrom('', '.', '*', '~', '($levels=9)', '-1', '1e99', 'Id,Name', '%zz'),
            fc.string({ maxLength: 20 }).map(encodeURIComponent),
          ),
        ),
        { maxLength: 3 },
      )
      .map((pairs) => `?${pairs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '??', '?%zz', '?$expand=.&$expand=*', '?&&') },
);

const auth = (users: readonly string[]): fc.Arbitrary<AuthVariant> =>
  fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.constantFrom(...users).map((user) => ({ kind: 'basic' as const, user })),
    fc.constantFrom(...users).map((user) => ({ kind: 'token' as const, user })),
    fc
      .oneof(fc.constantFrom(...users), fc.string({ maxLength: 20 }))
      .map((user) => ({ kind: 'badBasic' as const, user })),
    fc
      .oneof(
        fc.constantFrom('Basic', 'Basic ', 'Basic !!!', 'Bearer x', 'basic YTpi', 'Basic Og=='),
        fc.string({ maxLength: 60 }).map((s) => `Basic ${s.replace(/[^\x20-\x7e]/g, '')}`),
      )
      .map((header) => ({ kind: 'malformedBasic' as const, header })),
    fc
      .oneof(
        fc.constantFrom('', 'x', 'a'.repeat(43), 'a'.repeat(5000)),
        fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x21-\x7e]/g, '')),
      )
      .map((token) => ({ kind: 'badToken' as const, token })),
  );

/** JSON values of every type, a few levels deep. */
const json = fc.jsonValue({ maxDepth: 3 });

/** Objects made of the property names the service's bodies use, with values of any type. */
const propertyBody = fc.dictionary(
  fc.constantFrom(
    'ResetType',
    'Boot',
    'Image',
    'Inserted',
    'WriteProtected',
    'TransferProtocolType',
    'TransferMethod',
    'UserName',
    'Password',
    'SessionTimeout',
    'Locked',
    'Id',
    'PowerState',
    '@odata.id',
    '__proto__',
    'constructor',
  ),
  fc.oneof(
    json,
    fc.constantFrom(
      'On',
      'ForceOff',
      'Nmi',
      'http://127.0.0.1:1/x.iso',
      'http://%zz@example.com/x.iso',
      'https://user:pass@images.example.com/a.iso?sig=1',
      'ftp://example.com/x.iso',
      'admin',
    ),
    fc.dictionary(
      fc.constantFrom(
        'BootSourceOverrideTarget',
        'BootSourceOverrideEnabled',
        'BootSourceOverrideMode',
        'Other',
      ),
      fc.oneof(json, fc.constantFrom('Pxe', 'Hdd', 'Cd', 'Once', 'Continuous', 'UEFI', 'Legacy')),
    ),
  ),
  { maxKeys: 4 },
);

const deep = fc
  .tuple(fc.integer({ min: 100, max: 50_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? `{"UserName":${'['.repeat(depth)}${']'.repeat(depth)},"ResetType":"On"}`
      : `${'{"Boot":'.repeat(depth)}null${'}'.repeat(depth)}`,
  );

const body = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: propertyBody.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: json.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '{"a":1}}',
      'null',
      '[]',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      `{"Image":"${'x'.repeat(1024 * 1024 + 10)}"}`,
      `{"ResetType":"On","Pad":"${'x'.repeat(1000 * 1000)}"}`,
      '\uFEFF{}',
    ),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/merge-patch+json',
      ';;;',
      'application/json; a="',
    ),
  },
);

const extraHeaders = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        'if-match': fc.constantFrom('*', '"abc"', 'W/"x"', '', '"', '*, "a"'),
        'if-none-match': fc.constantFrom('*', '"abc"', 'garbage'),
        'odata-version': fc.constantFrom('4.0', '4.01', '', 'x'),
        accept: fc.constantFrom('application/json', 'application/xml', '*/*', ''),
        'x-forwarded-for': fc.constantFrom('10.0.0.1', 'garbage', '::1, 1.2.3.4'),
      },
      { requiredKeys: [] },
    ),
  },
);

/** Any request the service might be sent. */
export const fuzzRequest = (ids: KnownIds, users: readonly string[]): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      method: fc.constantFrom(...methods),
      path: fc.oneof(
        { weight: 9, arbitrary: routePath(ids) },
        {
          weight: 1,
          arbitrary: fc
            .array(segment([]), { maxLength: 5 })
            .map((parts) => `/redfish/v1/${parts.join('/')}`),
        },
      ),
      query,
      auth: auth(users),
      headers: extraHeaders,
      contentType,
      body,
    })
    .map(({ method, path, query: q, auth: a, headers, contentType: type, body: b }) => ({
      method,
      path: `${path}${q}`,
      auth: a,
      headers: {
        ...headers,
        ...(type === undefined || b === undefined ? {} : { 'content-type': type }),
      },
      body: method === 'GET' || method === 'HEAD' || method === 'TRACE' ? undefined : b,
    }));
