// THE route table (STYLE rule 1): every URL the service answers, with its method, the privilege
// the DMTF privilege registry (Redfish_1.8.0_PrivilegeRegistry) requires, and its handler.
// Later issues add their lines here; the server derives HEAD, 405 + Allow and auth from it.
import type { Route, RouteTable } from './handler.ts';
import { handleChassisCollectionGet, handleChassisGet } from './resources/chassis.ts';
import { handleManagerCollectionGet, handleManagerGet } from './resources/managers.ts';
import { handleServiceRootGet, handleVersionGet } from './resources/service-root.ts';
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
  type MediaHost,
} from './resources/virtual-media.ts';

/** The VirtualMedia family under a system or its Manager (older sushy looks only there).
 *  Registry: VirtualMedia POST needs ConfigureManager. */
const virtualMediaRoutes = (host: MediaHost, base: string): Route[] => [
  {
    method: 'GET',
    url: `${base}/VirtualMedia`,
    privilege: 'Login',
    handler: handleVirtualMediaCollectionGet(host),
  },
  {
    method: 'GET',
    url: `${base}/VirtualMedia/:mediaId`,
    privilege: 'Login',
    handler: handleVirtualMediaGet(host),
  },
  {
    method: 'POST',
    url: `${base}/VirtualMedia/:mediaId/Actions/VirtualMedia.InsertMedia`,
    privilege: 'ConfigureManager',
    handler: handleInsertMedia(host),
  },
  {
    method: 'POST',
    url: `${base}/VirtualMedia/:mediaId/Actions/VirtualMedia.EjectMedia`,
    privilege: 'ConfigureManager',
    handler: handleEjectMedia(host),
  },
];

const routes: readonly Route[] = [
  // DSP0266: the version object and the service root never require authentication.
  { method: 'GET', url: '/redfish', privilege: 'NoAuth', handler: handleVersionGet },
  { method: 'GET', url: '/redfish/v1', privilege: 'NoAuth', handler: handleServiceRootGet },

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

  ...virtualMediaRoutes('system', '/redfish/v1/Systems/:systemId'),
  ...virtualMediaRoutes('manager', '/redfish/v1/Managers/:managerId'),

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
];

export const routeTable: RouteTable = routes;
