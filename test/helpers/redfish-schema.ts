// Validates Redfish bodies against the DMTF JSON Schemas bundled in ../shared (DSP8010 2025.4):
// the schema is the one the body's @odata.type names; error bodies use redfish-error.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule.default;

const schemaDir = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../shared/redfish-schema/json-schema',
);
const dmtfBase = 'http://redfish.dmtf.org/schemas/v1/';
const versioned = /^(.+)\.v(\d+)_(\d+)_(\d+)\.json$/;

/** The bundle keeps only the newest version of each schema, while unversioned files still
 *  reference older ones (README of the bundle). A reference to a missing version is pointed at
 *  the newest file of the same schema, a compatible superset; a reference outside the bundle
 *  (Swordfish) accepts anything, since nothing here can check it. A reference to another
 *  resource (a navigation property) accepts a link, or an expanded resource that carries its own
 *  @odata.type; validateRedfish checks each such nested resource against its own schema. That
 *  keeps every compile to one resource's schemas instead of the whole model (seconds → ms). */
const navigationSchema = {
  anyOf: [
    { $ref: `http://redfish.dmtf.org/schemas/v1/odata-v4.json#/definitions/idRef` },
    { type: 'object', required: ['@odata.type'] },
  ],
};

interface Bundle {
  readonly files: ReadonlySet<string>;
  /** Schema name → its newest versioned file. */
  readonly newest: ReadonlyMap<string, string>;
  /** `File.json#/definitions/Def` of every referenceable resource (an anyOf offering idRef). */
  readonly navigation: ReadonlySet<string>;
}

const rewriteRefs = (node: unknown, bundle: Bundle): unknown => {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, bundle));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue; // draft-07 dialect extended by Redfish; Ajv's default
    if (key === '$ref' && typeof value === 'string') {
      const ref = value.replace(/^https:/, 'http:');
      if (ref.startsWith('#')) {
        out.$ref = ref;
        continue;
      }
      if (!ref.startsWith(dmtfBase)) return {};
      const [file = '', fragment = ''] = ref.slice(dmtfBase.length).split('#');
      if (bundle.navigation.has(`${file}#${fragment}`)) return navigationSchema;
      const family = versioned.exec(file)?.[1];
      const target = bundle.files.has(file)
        ? file
        : family === undefined
          ? undefined
          : bundle.newest.get(family);
      if (target === undefined) return {};
      out.$ref = `${dmtfBase}${target}${fragment ? `#${fragment}` : ''}`;
      continue;
    }
    out[key] = rewriteRefs(value, bundle);
  }
  return out;
};

const versionKey = (file: string): number[] =>
  (versioned.exec(file)?.slice(2) ?? []).map((n) => Number(n));

const newerThan = (a: string, b: string): boolean => {
  const [x, y] = [versionKey(a), versionKey(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

const isIdRefOffer = (alternative: unknown): boolean =>
  typeof alternative === 'object' &&
  alternative !== null &&
  (alternative as { $ref?: unknown }).$ref === `${dmtfBase}odata-v4.json#/definitions/idRef`;

let compiler: { ajv: Ajv; files: ReadonlySet<string> } | undefined;

const load = (): { ajv: Ajv; files: ReadonlySet<string> } => {
  if (compiler) return compiler;
  const files = new Set(
    readdirSync(schemaDir).filter((f) => f.endsWith('.json') && !f.startsWith('redfish-schema')),
  );
  const schemas = new Map<string, Record<string, unknown>>();
  for (const file of files)
    schemas.set(file, JSON.parse(readFileSync(resolve(schemaDir, file), 'utf8')));
  const newest = new Map<string, string>();
  const navigation = new Set<string>();
  for (const [file, schema] of schemas) {
    const family = versioned.exec(file)?.[1];
    if (family === undefined) {
      const definitions = (schema.definitions ?? {}) as Record<string, { anyOf?: unknown[] }>;
      for (const [name, definition] of Object.entries(definitions))
        if (definition.anyOf?.some(isIdRefOffer)) navigation.add(`${file}#/definitions/${name}`);
      continue;
    }
    const current = newest.get(family);
    if (current === undefined || newerThan(file, current)) newest.set(family, file);
  }
  const bundle: Bundle = { files, newest, navigation };
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  for (const [file, schema] of schemas)
    ajv.addSchema({ ...(rewriteRefs(schema, bundle) as object), $id: `${dmtfBase}${file}` });
  compiler = { ajv, files };
  return compiler;
};

const validators = new Map<string, ValidateFunction>();

const validatorFor = (file: string, definition: string): ValidateFunction => {
  const key = `${file}#${definition}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const { ajv, files } = load();
  if (!files.has(file)) throw new Error(`no DMTF schema ${file} in ${schemaDir}`);
  const validate = ajv.compile({ $ref: `${dmtfBase}${file}#/definitions/${definition}` });
  validators.set(key, validate);
  return validate;
};

/** `#ComputerSystem.v1_27_0.ComputerSystem` → [ComputerSystem.v1_27_0.json, ComputerSystem];
 *  `#ComputerSystemCollection.ComputerSystemCollection` → [ComputerSystemCollection.json, …]. */
export const schemaOf = (odataType: string): { file: string; definition: string } => {
  const match = /^#([A-Za-z0-9]+(?:\.v\d+_\d+_\d+)?)\.([A-Za-z0-9]+)$/.exec(odataType);
  if (!match?.[1] || !match[2]) throw new Error(`malformed @odata.type ${odataType}`);
  return { file: `${match[1]}.json`, definition: match[2] };
};

const describe = (errors: readonly ErrorObject[]): string =>
  errors
    .map((e) => `  ${e.instancePath || '/'}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`)
    .join('\n');

/** Objects below the top level that carry their own @odata.type (expanded resources). */
const nestedResources = (node: unknown, top = true): Record<string, unknown>[] => {
  if (Array.isArray(node)) return node.flatMap((n) => nestedResources(n, false));
  if (node === null || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  const here = !top && typeof record['@odata.type'] === 'string' ? [record] : [];
  return [...here, ...Object.values(record).flatMap((v) => nestedResources(v, false))];
};

/**
 * Throws unless `body` validates against the DMTF schema its @odata.type names (or, for an
 * error body, redfish-error.v1_0_2), and so does every nested object carrying its own
 * @odata.type. The message lists every violation.
 */
export const validateRedfish = (body: unknown): void => {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new Error(`not a Redfish body: ${JSON.stringify(body)}`);
  const record = body as Record<string, unknown>;
  const odataType = record['@odata.type'];
  const { file, definition } =
    typeof odataType === 'string'
      ? schemaOf(odataType)
      : 'error' in record
        ? { file: 'redfish-error.v1_0_2.json', definition: 'RedfishError' }
        : (() => {
            throw new Error(`body has no @odata.type: ${JSON.stringify(body)}`);
          })();
  const validate = validatorFor(file, definition);
  if (!validate(body))
    throw new Error(
      `${JSON.stringify(record['@odata.id'] ?? definition)} does not validate against ${file}:\n` +
        describe(validate.errors ?? []),
    );
  for (const nested of nestedResources(body)) validateRedfish(nested);
};

/** Compiles the validators of these @odata.types now. Tests whose client and service share one
 *  event loop call it before starting the service: a first compile can take seconds on a busy
 *  machine, long enough for the service to close the client's idle keep-alive socket. */
export const precompileSchemas = (odataTypes: readonly string[]): void => {
  for (const type of odataTypes) {
    const { file, definition } = schemaOf(type);
    validatorFor(file, definition);
  }
};
