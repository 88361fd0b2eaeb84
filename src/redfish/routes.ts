// THE route table (STYLE rule 1): every URL the service answers, with its method, the privilege
// the DMTF privilege registry (Redfish_1.8.0_PrivilegeRegistry) requires, and its handler.
// The server derives HEAD, 405 + Allow and auth from it; `requires` ties a family to an optional
// dependency, `privilegeOverride` states why a privilege departs from the registry.
import type { Route, RouteTable } from './handler.ts';
import {
  handleAccountCollectionGet,
  handleAccountGet,
  handleAccountPatch,
  handleAccountServiceGet,
  handleRoleCollectionGet,
  handleRoleGet,
} from './resources/account-service.ts';
import {
  handleJsonSchemaCollectionGet,
  handleJsonSchemaFileGet,
  handleJsonSchemaGet,
  handleRegistryCollectionGet,
  handleRegistryFileGet,
  handleRegistryGet,
} from './resources/bundled-documents.ts';
import { handleBiosGet, handleBiosSettingsGet, handleBiosSettingsPatch } from './resources/bios.ts';
import { handleChassisCollectionGet, handleChassisGet } from './resources/chassis.ts';
import {
  handleSecureBootGet,
  handleSecureBootPatch,
  handleSecureBootResetKeys,
} from './resources/secure-boot.ts';
import {
  handleManagerEthernetInterfaceCollectionGet,
  handleManagerEthernetInterfaceGet,
  handleManagerNetworkProtocolGet,
} from './resources/manager-network.ts';
import {
  handleLogEntryCollectionGet,
  handleLogEntryGet,
  handleLogServiceCollectionGet,
  handleLogServiceGet,
} from './resources/log-services.ts';
import { handleManagerCollectionGet, handleManagerGet } from './resources/managers.ts';
import { handleMetadataGet, handleODataGet } from './resources/odata-documents.ts';
import { handleServiceRootGet, handleVersionGet } from './resources/service-root.ts';
import {
  handleSessionCollectionGet,
  handleSessionCreate,
  handleSessionDelete,
  handleSessionGet,
  handleSessionServiceGet,
  handleSessionServicePatch,
} from './resources/sessions.ts';
import {
  handleEthernetInterfaceCollectionGet,
  handleEthernetInterfaceGet,
} from './resources/ethernet-interfaces.ts';
import { handleMemoryCollectionGet, handleMemoryGet } from './resources/memory.ts';
import { handleProcessorCollectionGet, handleProcessorGet } from './resources/processors.ts';
import {
  handleSimpleStorageCollectionGet,
  handleSimpleStorageGet,
} from './resources/simple-storage.ts';
import {
  handleDriveGet,
  handleStorageCollectionGet,
  handleStorageGet,
  handleVolumeCollectionGet,
  handleVolumeGet,
} from './resources/storage.ts';
import { handleSystemPatch, handleSystemReset } from './resources/system-actions.ts';
import { handleSystemCollectionGet, handleSystemGet } from './resources/systems.ts';
import {
  handleTaskCollectionGet,
  handleTaskGet,
  handleTaskMonitorGet,
  handleTaskServiceGet,
} from './resources/tasks.ts';
import {
  handleEjectMedia,
  handleInsertMedia,
  handleVirtualMediaCollectionGet,
  handleVirtualMediaGet,
} from './resources/virtual-media.ts';

/** Inserting and ejecting media is operating a server, as Reset and boot are: BEHAVIOUR.md gives
 *  Operators "reset, boot and media", while the registry's VirtualMedia POST wants
 *  ConfigureManager, which only Administrators hold. */
const mediaOverride =
  'Operators insert and eject media (BEHAVIOUR.md): ConfigureComponents, as for Reset and boot';

const routes: readonly Route[] = [
  // DSP0266: the version object and the service root never require authentication.
  { method: 'GET', url: '/redfish', privilege: 'NoAuth', handler: handleVersionGet },
  { method: 'GET', url: '/redfish/v1', privilege: 'NoAuth', handler: handleServiceRootGet },
  { method: 'GET', url: '/redfish/v1/$metadata', privilege: 'NoAuth', handler: handleMetadataGet },
  { method: 'GET', url: '/redfish/v1/odata', privilege: 'NoAuth', handler: handleODataGet },

  {
    method: 'GET',
    url: '/redfish/v1/Systems',
    privilege: 'Login',
    handler: handleSystemCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId',
    privilege: 'Login',
    handler: handleSystemGet,
  },
  // Registry: ComputerSystem PATCH and POST need ConfigureComponents.
  {
    method: 'PATCH',
    url: '/redfish/v1/Systems/:systemId',
    privilege: 'ConfigureComponents',
    handler: handleSystemPatch,
  },
  {
    method: 'POST',
    url: '/redfish/v1/Systems/:systemId/Actions/ComputerSystem.Reset',
    privilege: 'ConfigureComponents',
    handler: handleSystemReset,
  },

  {
    method: 'GET',
    url: '/redfish/v1/Managers',
    privilege: 'Login',
    handler: handleManagerCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId',
    privilege: 'Login',
    handler: handleManagerGet,
  },

  // The VirtualMedia family under a system and, for older sushy, under its Manager.
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/VirtualMedia',
    privilege: 'Login',
    handler: handleVirtualMediaCollectionGet('system'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/VirtualMedia/:mediaId',
    privilege: 'Login',
    handler: handleVirtualMediaGet('system'),
  },
  {
    method: 'POST',
    url: '/redfish/v1/Systems/:systemId/VirtualMedia/:mediaId/Actions/VirtualMedia.InsertMedia',
    privilege: 'ConfigureComponents',
    privilegeOverride: mediaOverride,
    handler: handleInsertMedia('system'),
  },
  {
    method: 'POST',
    url: '/redfish/v1/Systems/:systemId/VirtualMedia/:mediaId/Actions/VirtualMedia.EjectMedia',
    privilege: 'ConfigureComponents',
    privilegeOverride: mediaOverride,
    handler: handleEjectMedia('system'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/VirtualMedia',
    privilege: 'Login',
    handler: handleVirtualMediaCollectionGet('manager'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/VirtualMedia/:mediaId',
    privilege: 'Login',
    handler: handleVirtualMediaGet('manager'),
  },
  {
    method: 'POST',
    url: '/redfish/v1/Managers/:managerId/VirtualMedia/:mediaId/Actions/VirtualMedia.InsertMedia',
    privilege: 'ConfigureComponents',
    privilegeOverride: mediaOverride,
    handler: handleInsertMedia('manager'),
  },
  {
    method: 'POST',
    url: '/redfish/v1/Managers/:managerId/VirtualMedia/:mediaId/Actions/VirtualMedia.EjectMedia',
    privilege: 'ConfigureComponents',
    privilegeOverride: mediaOverride,
    handler: handleEjectMedia('manager'),
  },
  // Inventory under a system (issue 13): read-only, so Login as for the system itself.
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Processors',
    privilege: 'Login',
    handler: handleProcessorCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Processors/:processorId',
    privilege: 'Login',
    handler: handleProcessorGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Memory',
    privilege: 'Login',
    handler: handleMemoryCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Memory/:memoryId',
    privilege: 'Login',
    handler: handleMemoryGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/EthernetInterfaces',
    privilege: 'Login',
    handler: handleEthernetInterfaceCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/EthernetInterfaces/:interfaceId',
    privilege: 'Login',
    handler: handleEthernetInterfaceGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/SimpleStorage',
    privilege: 'Login',
    handler: handleSimpleStorageCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/SimpleStorage/:storageId',
    privilege: 'Login',
    handler: handleSimpleStorageGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Storage',
    privilege: 'Login',
    handler: handleStorageCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Storage/:storageId',
    privilege: 'Login',
    handler: handleStorageGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Storage/:storageId/Drives/:driveId',
    privilege: 'Login',
    handler: handleDriveGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Storage/:storageId/Volumes',
    privilege: 'Login',
    handler: handleVolumeCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Storage/:storageId/Volumes/:volumeId',
    privilege: 'Login',
    handler: handleVolumeGet,
  },

  // Firmware settings (issue 13); the registry asks ConfigureComponents for Bios and SecureBoot
  // writes.
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Bios',
    privilege: 'Login',
    handler: handleBiosGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/Bios/Settings',
    privilege: 'Login',
    handler: handleBiosSettingsGet,
  },
  {
    method: 'PATCH',
    url: '/redfish/v1/Systems/:systemId/Bios/Settings',
    privilege: 'ConfigureComponents',
    handler: handleBiosSettingsPatch,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/SecureBoot',
    privilege: 'Login',
    handler: handleSecureBootGet,
  },
  {
    method: 'PATCH',
    url: '/redfish/v1/Systems/:systemId/SecureBoot',
    privilege: 'ConfigureComponents',
    handler: handleSecureBootPatch,
  },
  {
    method: 'POST',
    url: '/redfish/v1/Systems/:systemId/SecureBoot/Actions/SecureBoot.ResetKeys',
    privilege: 'ConfigureComponents',
    handler: handleSecureBootResetKeys,
  },

  // The event log (issue 13 item 6) under a system and, for the OCP baseline profile, under its
  // Manager: reading logs needs Login (registry: LogService, LogEntry GET).
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/LogServices',
    privilege: 'Login',
    handler: handleLogServiceCollectionGet('system'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/LogServices/:logServiceId',
    privilege: 'Login',
    handler: handleLogServiceGet('system'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/LogServices/:logServiceId/Entries',
    privilege: 'Login',
    handler: handleLogEntryCollectionGet('system'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Systems/:systemId/LogServices/:logServiceId/Entries/:entryId',
    privilege: 'Login',
    handler: handleLogEntryGet('system'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/LogServices',
    privilege: 'Login',
    handler: handleLogServiceCollectionGet('manager'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/LogServices/:logServiceId',
    privilege: 'Login',
    handler: handleLogServiceGet('manager'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/LogServices/:logServiceId/Entries',
    privilege: 'Login',
    handler: handleLogEntryCollectionGet('manager'),
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/LogServices/:logServiceId/Entries/:entryId',
    privilege: 'Login',
    handler: handleLogEntryGet('manager'),
  },

  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/NetworkProtocol',
    privilege: 'Login',
    handler: handleManagerNetworkProtocolGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/EthernetInterfaces',
    privilege: 'Login',
    handler: handleManagerEthernetInterfaceCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Managers/:managerId/EthernetInterfaces/:interfaceId',
    privilege: 'Login',
    handler: handleManagerEthernetInterfaceGet,
  },

  {
    method: 'GET',
    url: '/redfish/v1/TaskService',
    privilege: 'Login',
    handler: handleTaskServiceGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/TaskService/Tasks',
    privilege: 'Login',
    handler: handleTaskCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/TaskService/Tasks/:taskId',
    privilege: 'Login',
    handler: handleTaskGet,
  },
  // A task monitor is not a resource; reading it is reading the task.
  {
    method: 'GET',
    url: '/redfish/v1/TaskService/TaskMonitors/:taskId',
    privilege: 'Login',
    handler: handleTaskMonitorGet,
  },

  {
    method: 'GET',
    url: '/redfish/v1/Chassis',
    privilege: 'Login',
    handler: handleChassisCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Chassis/:chassisId',
    privilege: 'Login',
    handler: handleChassisGet,
  },

  {
    method: 'GET',
    url: '/redfish/v1/SessionService',
    privilege: 'Login',
    requires: 'sessions',
    handler: handleSessionServiceGet,
  },
  {
    method: 'PATCH',
    url: '/redfish/v1/SessionService',
    privilege: 'ConfigureManager',
    requires: 'sessions',
    handler: handleSessionServicePatch,
  },
  {
    method: 'GET',
    url: '/redfish/v1/SessionService/Sessions',
    privilege: 'Login',
    requires: 'sessions',
    handler: handleSessionCollectionGet,
  },
  // DSP0266: login is the one write that needs no credentials (it is how one gets them).
  {
    method: 'POST',
    url: '/redfish/v1/SessionService/Sessions',
    privilege: 'NoAuth',
    requires: 'sessions',
    handler: handleSessionCreate,
  },
  // DSP0266: a POST to a collection's Members creates a member as a POST to the collection does.
  {
    method: 'POST',
    url: '/redfish/v1/SessionService/Sessions/Members',
    privilege: 'NoAuth',
    requires: 'sessions',
    handler: handleSessionCreate,
  },
  // Registry (Session): one's own needs ConfigureSelf; the handler lets ConfigureManager and
  // ConfigureUsers reach everyone's.
  {
    method: 'GET',
    url: '/redfish/v1/SessionService/Sessions/:sessionId',
    privilege: 'ConfigureSelf',
    requires: 'sessions',
    handler: handleSessionGet,
  },
  {
    method: 'DELETE',
    url: '/redfish/v1/SessionService/Sessions/:sessionId',
    privilege: 'ConfigureSelf',
    requires: 'sessions',
    handler: handleSessionDelete,
  },

  // Users come from the configuration file: the AccountService routes no writes but lifting a
  // user's lockout.
  {
    method: 'GET',
    url: '/redfish/v1/AccountService',
    privilege: 'Login',
    requires: 'accounts',
    handler: handleAccountServiceGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/AccountService/Accounts',
    privilege: 'Login',
    requires: 'accounts',
    handler: handleAccountCollectionGet,
  },
  // Registry (ManagerAccount GET): ConfigureSelf for one's own; the handler lets ConfigureUsers
  // and ConfigureManager read every account.
  {
    method: 'GET',
    url: '/redfish/v1/AccountService/Accounts/:accountId',
    privilege: 'ConfigureSelf',
    requires: 'accounts',
    handler: handleAccountGet,
  },
  // Registry (ManagerAccount PATCH): ConfigureUsers; Locked: false is the one writable value.
  {
    method: 'PATCH',
    url: '/redfish/v1/AccountService/Accounts/:accountId',
    privilege: 'ConfigureUsers',
    requires: 'accounts',
    handler: handleAccountPatch,
  },
  {
    method: 'GET',
    url: '/redfish/v1/AccountService/Roles',
    privilege: 'Login',
    requires: 'accounts',
    handler: handleRoleCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/AccountService/Roles/:roleId',
    privilege: 'Login',
    requires: 'accounts',
    handler: handleRoleGet,
  },

  {
    method: 'GET',
    url: '/redfish/v1/Registries',
    privilege: 'Login',
    handler: handleRegistryCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Registries/:registryId',
    privilege: 'Login',
    handler: handleRegistryFileGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/Registries/:registryId/:file',
    privilege: 'Login',
    handler: handleRegistryGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/JsonSchemas',
    privilege: 'Login',
    handler: handleJsonSchemaCollectionGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/JsonSchemas/:schemaId',
    privilege: 'Login',
    handler: handleJsonSchemaFileGet,
  },
  {
    method: 'GET',
    url: '/redfish/v1/JsonSchemas/:schemaId/:file',
    privilege: 'Login',
    handler: handleJsonSchemaGet,
  },
];

export const routeTable: RouteTable = routes;
