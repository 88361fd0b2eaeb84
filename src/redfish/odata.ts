// Resource URIs and @odata.type values, built in one place so every body and link agrees with
// the route table. Ids are used as they are: DSP0266 forbids percent-encoding in URIs, so the
// scope only hands out URL-safe Ids (Kubernetes names, config chassis names).

export const serviceRootUri = '/redfish/v1';

/** Where a system's virtual media slot is addressed from: the system (Ironic ≥ 24.1) or its
 *  Manager (older sushy looks only there). */
export type MediaHost = 'system' | 'manager';

/** Where a system's event log is addressed from: the system, or its Manager (the OCP baseline
 *  profile requires LogServices on every Manager; log-services.ts says why it is served twice). */
export type LogHost = MediaHost;

/** The one log of each system (LogService Id). */
export const logServiceId = 'Log';

/** The one virtual media slot of each system; MediaTypes CD and DVD make Ironic pick it. */
export const cdMediaId = 'Cd';

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
  session: (id: string): string => `${serviceRootUri}/SessionService/Sessions/${id}`,
  accounts: `${serviceRootUri}/AccountService/Accounts`,
  account: (id: string): string => `${serviceRootUri}/AccountService/Accounts/${id}`,
  roles: `${serviceRootUri}/AccountService/Roles`,
  role: (id: string): string => `${serviceRootUri}/AccountService/Roles/${id}`,
  registries: `${serviceRootUri}/Registries`,
  registry: (id: string): string => `${serviceRootUri}/Registries/${id}`,
  jsonSchemas: `${serviceRootUri}/JsonSchemas`,
  jsonSchema: (id: string): string => `${serviceRootUri}/JsonSchemas/${id}`,
  metadata: `${serviceRootUri}/$metadata`,
  odata: `${serviceRootUri}/odata`,

  // Virtual media and the tasks of its imports.
  virtualMediaCollection: (host: MediaHost, id: string): string =>
    `${host === 'system' ? uris.system(id) : uris.manager(id)}/VirtualMedia`,
  virtualMedia: (host: MediaHost, id: string): string =>
    `${uris.virtualMediaCollection(host, id)}/${cdMediaId}`,
  virtualMediaAction: (host: MediaHost, id: string, action: string): string =>
    `${uris.virtualMedia(host, id)}/Actions/${action}`,
  tasks: `${serviceRootUri}/TaskService/Tasks`,
  task: (id: string): string => `${serviceRootUri}/TaskService/Tasks/${id}`,
  taskMonitor: (id: string): string => `${serviceRootUri}/TaskService/TaskMonitors/${id}`,
  // Inventory under a system (issue 13), and what its Manager and Chassis add.
  processors: (id: string): string => `${serviceRootUri}/Systems/${id}/Processors`,
  processor: (id: string, cpu: string): string =>
    `${serviceRootUri}/Systems/${id}/Processors/${cpu}`,
  memory: (id: string): string => `${serviceRootUri}/Systems/${id}/Memory`,
  memoryModule: (id: string, module: string): string =>
    `${serviceRootUri}/Systems/${id}/Memory/${module}`,
  ethernetInterfaces: (id: string): string => `${serviceRootUri}/Systems/${id}/EthernetInterfaces`,
  ethernetInterface: (id: string, nic: string): string =>
    `${serviceRootUri}/Systems/${id}/EthernetInterfaces/${nic}`,
  simpleStorageCollection: (id: string): string => `${serviceRootUri}/Systems/${id}/SimpleStorage`,
  simpleStorage: (id: string, storage: string): string =>
    `${serviceRootUri}/Systems/${id}/SimpleStorage/${storage}`,
  storageCollection: (id: string): string => `${serviceRootUri}/Systems/${id}/Storage`,
  storage: (id: string, storage: string): string =>
    `${serviceRootUri}/Systems/${id}/Storage/${storage}`,
  drive: (id: string, storage: string, drive: string): string =>
    `${serviceRootUri}/Systems/${id}/Storage/${storage}/Drives/${drive}`,
  volumes: (id: string, storage: string): string =>
    `${serviceRootUri}/Systems/${id}/Storage/${storage}/Volumes`,
  volume: (id: string, storage: string, volume: string): string =>
    `${serviceRootUri}/Systems/${id}/Storage/${storage}/Volumes/${volume}`,
  bios: (id: string): string => `${serviceRootUri}/Systems/${id}/Bios`,
  biosSettings: (id: string): string => `${serviceRootUri}/Systems/${id}/Bios/Settings`,
  secureBoot: (id: string): string => `${serviceRootUri}/Systems/${id}/SecureBoot`,
  secureBootResetKeys: (id: string): string =>
    `${serviceRootUri}/Systems/${id}/SecureBoot/Actions/SecureBoot.ResetKeys`,
  managerNetworkProtocol: (id: string): string =>
    `${serviceRootUri}/Managers/${id}/NetworkProtocol`,
  managerEthernetInterfaces: (id: string): string =>
    `${serviceRootUri}/Managers/${id}/EthernetInterfaces`,
  managerEthernetInterface: (id: string, nic: string): string =>
    `${serviceRootUri}/Managers/${id}/EthernetInterfaces/${nic}`,
  // The event log of a system (issue 13 item 6), under the system and under its Manager.
  logServices: (host: LogHost, id: string): string =>
    `${host === 'system' ? uris.system(id) : uris.manager(id)}/LogServices`,
  logService: (host: LogHost, id: string): string =>
    `${uris.logServices(host, id)}/${logServiceId}`,
  logEntries: (host: LogHost, id: string): string => `${uris.logService(host, id)}/Entries`,
  logEntry: (host: LogHost, id: string, entry: string): string =>
    `${uris.logEntries(host, id)}/${entry}`,
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
  SessionService: '#SessionService.v1_2_0.SessionService',
  Session: '#Session.v1_8_0.Session',
  SessionCollection: '#SessionCollection.SessionCollection',
  AccountService: '#AccountService.v1_18_1.AccountService',
  ManagerAccount: '#ManagerAccount.v1_14_1.ManagerAccount',
  ManagerAccountCollection: '#ManagerAccountCollection.ManagerAccountCollection',
  Role: '#Role.v1_3_3.Role',
  RoleCollection: '#RoleCollection.RoleCollection',
  MessageRegistryFile: '#MessageRegistryFile.v1_1_5.MessageRegistryFile',
  MessageRegistryFileCollection: '#MessageRegistryFileCollection.MessageRegistryFileCollection',
  MessageRegistry: '#MessageRegistry.v1_7_0.MessageRegistry',
  JsonSchemaFile: '#JsonSchemaFile.v1_1_5.JsonSchemaFile',
  JsonSchemaFileCollection: '#JsonSchemaFileCollection.JsonSchemaFileCollection',

  VirtualMedia: '#VirtualMedia.v1_6_5.VirtualMedia',
  VirtualMediaCollection: '#VirtualMediaCollection.VirtualMediaCollection',
  TaskService: '#TaskService.v1_3_0.TaskService',
  TaskCollection: '#TaskCollection.TaskCollection',
  Task: '#Task.v1_7_4.Task',
  // Not a resource, but error bodies and Task.Messages carry it.
  Message: '#Message.v1_3_0.Message',
  // Inventory and firmware settings (issue 13).
  Processor: '#Processor.v1_22_0.Processor',
  ProcessorCollection: '#ProcessorCollection.ProcessorCollection',
  Memory: '#Memory.v1_23_0.Memory',
  MemoryCollection: '#MemoryCollection.MemoryCollection',
  EthernetInterface: '#EthernetInterface.v1_12_4.EthernetInterface',
  EthernetInterfaceCollection: '#EthernetInterfaceCollection.EthernetInterfaceCollection',
  SimpleStorage: '#SimpleStorage.v1_3_2.SimpleStorage',
  SimpleStorageCollection: '#SimpleStorageCollection.SimpleStorageCollection',
  Storage: '#Storage.v1_21_0.Storage',
  StorageCollection: '#StorageCollection.StorageCollection',
  Drive: '#Drive.v1_22_0.Drive',
  Volume: '#Volume.v1_10_2.Volume',
  VolumeCollection: '#VolumeCollection.VolumeCollection',
  Bios: '#Bios.v1_2_3.Bios',
  SecureBoot: '#SecureBoot.v1_1_2.SecureBoot',
  ManagerNetworkProtocol: '#ManagerNetworkProtocol.v1_12_0.ManagerNetworkProtocol',
  LogServiceCollection: '#LogServiceCollection.LogServiceCollection',
  LogService: '#LogService.v1_9_0.LogService',
  LogEntryCollection: '#LogEntryCollection.LogEntryCollection',
  LogEntry: '#LogEntry.v1_21_0.LogEntry',
} as const;

/** Redfish DateTime: ISO 8601 to the second with an explicit offset, as BMCs report it. */
export const redfishDateTime = (epochMs: number): string =>
  `${new Date(epochMs).toISOString().slice(0, 19)}+00:00`;

export interface Link {
  readonly '@odata.id': string;
}

export const link = (uri: string): Link => ({ '@odata.id': uri });

/** A resource collection: its members as links and, as DSP0266 requires, their count. */
export const toCollection = (
  uri: string,
  odataType: string,
  name: string,
  memberUris: readonly string[],
): Readonly<Record<string, unknown>> => ({
  '@odata.id': uri,
  '@odata.type': odataType,
  Name: name,
  Members: memberUris.map(link),
  'Members@odata.count': memberUris.length,
});

/** The schema an @odata.type belongs to: `#ComputerSystem.v1_27_0.ComputerSystem` →
 *  ComputerSystem, version v1_27_0, file ComputerSystem.v1_27_0.json; unversioned (collection)
 *  types have no version and name the unversioned file. */
export interface SchemaRef {
  readonly schema: string;
  readonly version?: string;
  readonly file: string;
}

export const schemaOfType = (odataType: unknown): SchemaRef | undefined => {
  if (typeof odataType !== 'string') return undefined;
  const match = /^#([A-Za-z0-9]+)(?:\.(v\d+_\d+_\d+))?\.[A-Za-z0-9]+$/.exec(odataType);
  const schema = match?.[1];
  if (schema === undefined) return undefined;
  const version = match?.[2];
  return version === undefined
    ? { schema, file: `${schema}.json` }
    : { schema, version, file: `${schema}.${version}.json` };
};

/** Where a bundled schema file is served: bmcweb's layout `/redfish/v1/JsonSchemas/<Schema>/<File>`. */
export const schemaFileUri = (ref: SchemaRef): string =>
  `${uris.jsonSchema(ref.schema)}/${ref.file}`;

/**
 * The `Link: <…>; rel=describedby` target for a body's @odata.type: the JSON Schema file of
 * exactly that version, served from the bundled DMTF files (resources/bundled-documents.ts). Undefined for
 * bodies with no @odata.type (the /redfish version object, error bodies).
 */
export const describedBy = (odataType: unknown): string | undefined => {
  const ref = schemaOfType(odataType);
  return ref === undefined ? undefined : schemaFileUri(ref);
};
