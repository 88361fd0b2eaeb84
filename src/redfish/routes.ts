// THE route table (STYLE rule 1): every URL the service answers, with its method, the privilege
// the DMTF privilege registry (Redfish_1.8.0_PrivilegeRegistry) requires, and its handler.
// Later issues add their lines here; the server derives HEAD, 405 + Allow and auth from it.
import type { Route, RouteTable } from './handler.ts';
import { handleChassisCollectionGet, handleChassisGet } from './resources/chassis.ts';
import { handleManagerCollectionGet, handleManagerGet } from './resources/managers.ts';
import { handleServiceRootGet, handleVersionGet } from './resources/service-root.ts';
import { handleSystemPatch, handleSystemReset } from './resources/system-actions.ts';
import { handleSystemCollectionGet, handleSystemGet } from './resources/systems.ts';

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
