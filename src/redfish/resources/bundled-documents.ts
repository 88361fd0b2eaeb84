// The DMTF documents bundled with the service: the JSON Schema of every type it emits
// (JsonSchemas, the targets of each response's describedby Link) and the Base message registry
// its errors come from (Registries). Both are served exactly as DMTF publishes them.
import { RedfishError, resourceNotFound } from '../messages.ts';
import { baseRegistry } from '../registry/base-messages.generated.ts';
import { bundledJsonSchemas, bundledRegistries } from '../registry/bundled-files.generated.ts';
import { toCollection, odataTypes, schemaFileUri, uris, type SchemaRef } from '../odata.ts';
import { servedSchemas } from '../schema-catalog.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';

const jsonSchemaBase = 'http://redfish.dmtf.org/schemas/v1/';
const registryBase = 'http://redfish.dmtf.org/registries/';

/** One member per schema name; a schema's types all share its single bundled file. */
const schemaMembers: readonly SchemaRef[] = [
  ...new Map(servedSchemas.map((s) => [s.schema, s])).values(),
];

const schemaTypeOf = (ref: SchemaRef): string =>
  ref.version === undefined
    ? `#${ref.schema}.${ref.schema}`
    : `#${ref.schema}.${ref.version}.${ref.schema}`;

export const toJsonSchemaCollection = (): RedfishBody =>
  toCollection(
    uris.jsonSchemas,
    odataTypes.JsonSchemaFileCollection,
    'JSON Schema File Collection',
    schemaMembers.map((s) => uris.jsonSchema(s.schema)),
  );

export const toJsonSchemaFile = (ref: SchemaRef): RedfishBody => ({
  '@odata.id': uris.jsonSchema(ref.schema),
  '@odata.type': odataTypes.JsonSchemaFile,
  Id: ref.schema,
  Name: `${ref.schema} Schema File`,
  Description: `JSON Schema of ${ref.schema} (DMTF DSP8010)`,
  Languages: ['en'],
  Schema: schemaTypeOf(ref),
  Location: [
    { Language: 'en', Uri: schemaFileUri(ref), PublicationUri: `${jsonSchemaBase}${ref.file}` },
  ],
});

const registryId = baseRegistry.prefix;
const registryFileUri = `${uris.registry(registryId)}/${baseRegistry.file}`;

export const toRegistryCollection = (): RedfishBody =>
  toCollection(
    uris.registries,
    odataTypes.MessageRegistryFileCollection,
    'Message Registry File Collection',
    [uris.registry(registryId)],
  );

export const toRegistryFile = (): RedfishBody => ({
  '@odata.id': uris.registry(registryId),
  '@odata.type': odataTypes.MessageRegistryFile,
  Id: registryId,
  Name: 'Base Message Registry File',
  Description: 'The DMTF Base message registry every error message of this service comes from',
  Languages: ['en'],
  Registry: baseRegistry.messageIdPrefix,
  Location: [
    {
      Language: 'en',
      Uri: registryFileUri,
      PublicationUri: `${registryBase}${baseRegistry.file}`,
    },
  ],
});

const schemaMember = (ctx: AuthenticatedContext): SchemaRef => {
  const id = pathParam(ctx, 'schemaId');
  const ref = schemaMembers.find((s) => s.schema === id);
  if (ref === undefined) throw new RedfishError(resourceNotFound('JsonSchemaFile', id));
  return ref;
};

/** The bundled text of a file, as JSON; a name outside the bundle is a missing resource. */
const bundled = (
  files: Readonly<Record<string, string>>,
  file: string,
  type: string,
): HandlerReply => {
  const content = Object.hasOwn(files, file) ? files[file] : undefined;
  if (content === undefined) throw new RedfishError(resourceNotFound(type, file));
  return { status: 200, raw: { contentType: 'application/json', content } };
};

export const handleJsonSchemaCollectionGet = (): HandlerReply => ({
  status: 200,
  body: toJsonSchemaCollection(),
});

export const handleJsonSchemaFileGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toJsonSchemaFile(schemaMember(ctx)),
});

export const handleJsonSchemaGet = (ctx: AuthenticatedContext): HandlerReply => {
  const ref = schemaMember(ctx);
  const file = pathParam(ctx, 'file');
  if (file !== ref.file) throw new RedfishError(resourceNotFound('JsonSchema', file));
  return bundled(bundledJsonSchemas, file, 'JsonSchema');
};

export const handleRegistryCollectionGet = (): HandlerReply => ({
  status: 200,
  body: toRegistryCollection(),
});

export const handleRegistryFileGet = (ctx: AuthenticatedContext): HandlerReply => {
  const id = pathParam(ctx, 'registryId');
  if (id !== registryId) throw new RedfishError(resourceNotFound('MessageRegistryFile', id));
  return { status: 200, body: toRegistryFile() };
};

export const handleRegistryGet = (ctx: AuthenticatedContext): HandlerReply => {
  const id = pathParam(ctx, 'registryId');
  const file = pathParam(ctx, 'file');
  if (id !== registryId || file !== baseRegistry.file)
    throw new RedfishError(resourceNotFound('MessageRegistry', file));
  return bundled(bundledRegistries, file, 'MessageRegistry');
};
