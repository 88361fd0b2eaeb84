// The two OData documents DSP0266 requires without authentication: the CSDL `$metadata` (which
// schemas and versions this service uses, and its EntityContainer) and the OData service
// document listing the service root and its direct children.
import { odataTypes, schemaOfType, serviceRootUri, uris } from '../odata.ts';
import { servedSchemas } from '../schema-catalog.ts';
import type { HandlerReply, PublicContext, RouteTable } from '../handler.ts';
import { toServiceRoot } from './service-root.ts';

/** Where DMTF publishes the CSDL of each schema (DSP8010): `<Schema>_v1.xml`. */
const csdlBase = 'http://redfish.dmtf.org/schemas/v1/';

const reference = (uri: string, includes: readonly string[]): string[] => [
  `  <edmx:Reference Uri="${uri}">`,
  ...includes.map((include) => `    ${include}`),
  '  </edmx:Reference>',
];

/** The CSDL document: one Reference per schema served (with the namespace of the version we
 *  emit), and the service's EntityContainer extending ServiceRoot's. */
export const metadataDocument = (): string => {
  const root = schemaOfType(odataTypes.ServiceRoot);
  if (root?.version === undefined) throw new Error('ServiceRoot type without a version');
  const bySchema = new Map<string, Set<string>>();
  for (const ref of servedSchemas) {
    const namespaces = bySchema.get(ref.schema) ?? new Set([ref.schema]);
    if (ref.version !== undefined) namespaces.add(`${ref.schema}.${ref.version}`);
    bySchema.set(ref.schema, namespaces);
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
    ...[...bySchema].flatMap(([schema, namespaces]) =>
      reference(
        `${csdlBase}${schema}_v1.xml`,
        [...namespaces].map((ns) => `<edmx:Include Namespace="${ns}"/>`),
      ),
    ),
    ...reference(`${csdlBase}RedfishExtensions_v1.xml`, [
      '<edmx:Include Namespace="RedfishExtensions.v1_0_0" Alias="Redfish"/>',
    ]),
    '  <edmx:DataServices>',
    '    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">',
    `      <EntityContainer Name="Service" Extends="${root.schema}.${root.version}.ServiceContainer"/>`,
    '    </Schema>',
    '  </edmx:DataServices>',
    '</edmx:Edmx>',
    '',
  ].join('\n');
};

/** The OData service document: the root and each top-level resource the root links to. */
export const serviceDocument = (ctx: PublicContext, routes: RouteTable) => {
  const root = toServiceRoot(ctx.deps.service, routes);
  const children = Object.entries(root).flatMap(([name, value]) => {
    const id = (value as { '@odata.id'?: unknown } | null)?.['@odata.id'];
    return typeof id === 'string' ? [{ name, kind: 'Singleton', url: id }] : [];
  });
  return {
    '@odata.context': uris.metadata,
    value: [{ name: 'Service', kind: 'Singleton', url: `${serviceRootUri}/` }, ...children],
  };
};

export const handleMetadataGet = (): HandlerReply => ({
  status: 200,
  raw: { contentType: 'application/xml', content: metadataDocument() },
});

export const handleODataGet = (ctx: PublicContext): HandlerReply => ({
  status: 200,
  body: serviceDocument(ctx, ctx.routes),
});
