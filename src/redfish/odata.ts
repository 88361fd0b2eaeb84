// Resource URIs and @odata.type values, built in one place so every body and link agrees with
// the route table. Ids are used as they are: DSP0266 forbids percent-encoding in URIs, so the
// scope only hands out URL-safe Ids (Kubernetes names, config chassis names).

export const serviceRootUri = '/redfish/v1';

export const uris = {
  serviceRoot: serviceRootUri,
  systems: `${serviceRootUri}/Systems`,
  system: (id: string): string => `${serviceRootUri}/Systems/${id}`,
  systemReset: (id: string): string =>
    `${serviceRootUri}/Systems/${id}/Actions/ComputerSystem.Reset`,
  managers: `${serviceRootUri}/Managers`,
  manager: (id: string): string => `${serviceRootUri}/Managers/${id}`,
  chassisCollection: `${serviceRootUri}/Chassis`,
  chassis: (id: string): string => `${serviceRootUri}/Chassis/${id}`,
  sessionService: `${serviceRootUri}/SessionService`,
  sessions: `${serviceRootUri}/SessionService/Sessions`,
  accountService: `${serviceRootUri}/AccountService`,
  taskService: `${serviceRootUri}/TaskService`,
  registries: `${serviceRootUri}/Registries`,
  jsonSchemas: `${serviceRootUri}/JsonSchemas`,
} as const;

/** The newest schema version of each type in the bundled DSP8010 2025.4 (so the DMTF files in
 *  ../shared/redfish-schema/json-schema validate every body we produce). */
export const odataTypes = {
  ServiceRoot: '#ServiceRoot.v1_20_0.ServiceRoot',
  ComputerSystem: '#ComputerSystem.v1_27_0.ComputerSystem',
  ComputerSystemCollection: '#ComputerSystemCollection.ComputerSystemCollection',
  Manager: '#Manager.v1_24_0.Manager',
  ManagerCollection: '#ManagerCollection.ManagerCollection',
  Chassis: '#Chassis.v1_28_0.Chassis',
  ChassisCollection: '#ChassisCollection.ChassisCollection',
} as const;

export interface Link {
  readonly '@odata.id': string;
}

export const link = (uri: string): Link => ({ '@odata.id': uri });

/**
 * The `Link: <…>; rel=describedby` target for a body's @odata.type: the JSON Schema file of
 * exactly that version, under JsonSchemas (served from the bundled DMTF files in issue 5, in
 * bmcweb's layout `/redfish/v1/JsonSchemas/<Schema>/<File>.json`). Undefined for bodies with no
 * @odata.type (the /redfish version object, error bodies).
 */
export const describedBy = (odataType: unknown): string | undefined => {
  if (typeof odataType !== 'string') return undefined;
  // "#ComputerSystem.v1_27_0.ComputerSystem" → ComputerSystem.v1_27_0;
  // "#ComputerSystemCollection.ComputerSystemCollection" → ComputerSystemCollection.
  const match = /^#([A-Za-z0-9]+)(\.v\d+_\d+_\d+)?\.[A-Za-z0-9]+$/.exec(odataType);
  if (!match?.[1]) return undefined;
  const schema = match[1];
  return `${uris.jsonSchemas}/${schema}/${schema}${match[2] ?? ''}.json`;
};
