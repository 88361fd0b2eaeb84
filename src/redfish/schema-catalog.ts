// Every @odata.type this service emits, in one list: the JSON Schema files bundled and served
// under JsonSchemas and the CSDL references of $metadata are derived from it, so a new resource
// type is described everywhere once it is added to odata.ts (and `npm run generate` has run).
import { odataTypes, schemaOfType, type SchemaRef } from './odata.ts';

export const servedOdataTypes: readonly string[] = Object.values(odataTypes).sort();

/** The schema of each served type, one per schema name, in name order. */
export const servedSchemas: readonly SchemaRef[] = servedOdataTypes.map((type) => {
  const ref = schemaOfType(type);
  if (ref === undefined) throw new Error(`malformed @odata.type ${type}`);
  return ref;
});
