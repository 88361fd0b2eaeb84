// A crawl of every link the service advertises and the route table against the DMTF privilege
// registry, over fastify.inject with the doubles of test/helpers/redfish-app.ts.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { validateRedfish } from '../../test/helpers/redfish-schema.ts';
import { makeApp, call, resetUrl } from '../../test/helpers/redfish-app.ts';
import { matchRoute } from './handler.ts';
import { routeTable } from './routes.ts';

void describe('crawl', () => {
  /** Every string under an `@odata.id` key, and every action target, in a body. */
  const linksIn = (node: unknown): { ids: string[]; targets: string[] } => {
    const ids: string[] = [];
    const targets: string[] = [];
    const walk = (n: unknown, key?: string): void => {
      if (Array.isArray(n)) n.forEach((v) => walk(v));
      else if (n !== null && typeof n === 'object')
        for (const [k, v] of Object.entries(n)) walk(v, k);
      else if (typeof n === 'string' && key === '@odata.id') ids.push(n);
      else if (typeof n === 'string' && key === 'target') targets.push(n);
    };
    walk(node);
    return { ids, targets };
  };

  void it('reaches only resources that resolve, validate and name themselves', async () => {
    const { app } = await makeApp();
    const seen = new Set<string>();
    const queue = ['/redfish/v1'];
    const targets = new Set<string>();
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await call(app, url, { user: 'admin' });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      const body = res.json();
      validateRedfish(body);
      assert.equal(body['@odata.id'], url);
      assert.ok(res.headers.allow, `${url} has no Allow`);
      assert.ok(res.headers.link, `${url} has no Link`);
      assert.ok(res.headers.etag, `${url} has no ETag`);
      if (Array.isArray(body.Members))
        assert.equal(body['Members@odata.count'], body.Members.length);
      const links = linksIn(body);
      queue.push(...links.ids.filter((id) => id !== url));
      links.targets.forEach((t) => targets.add(t));
    }
    assert.ok(seen.has('/redfish/v1/Chassis/chassis-b'));
    assert.ok(seen.has('/redfish/v1/Managers/demo-b.dup'));
    const systems = ['demo-a.db.primary', 'demo-a.dup', 'demo-a.web', 'demo-b.api', 'demo-b.dup'];
    for (const url of [
      '/redfish/v1/Systems',
      '/redfish/v1/Managers',
      '/redfish/v1/Chassis',
      '/redfish/v1/Chassis/chassis-a',
      ...systems.flatMap((id) => [`/redfish/v1/Systems/${id}`, `/redfish/v1/Managers/${id}`]),
    ])
      assert.ok(seen.has(url), `${url} not reachable from the service root`);
    // Every GET route is reached from the service root, but for the documents that are not
    // Redfish resources and the members of collections that are empty here.
    const unreached = routeTable
      .filter((r) => r.method === 'GET' && ![...seen].some((u) => matchRoute([r], 'GET', u)))
      .map((r) => r.url);
    assert.deepEqual(unreached, [
      '/redfish',
      '/redfish/v1/$metadata',
      '/redfish/v1/odata',
      // The doubles' VMs have no NICs or disks and the service no pod address; the crawl of the
      // running service (test/conformance/crawler.test.ts) reaches these members.
      '/redfish/v1/Systems/:systemId/EthernetInterfaces/:interfaceId',
      '/redfish/v1/Systems/:systemId/Storage/:storageId/Drives/:driveId',
      '/redfish/v1/Systems/:systemId/Storage/:storageId/Volumes/:volumeId',
      '/redfish/v1/Managers/:managerId/EthernetInterfaces/:interfaceId',
      '/redfish/v1/TaskService/Tasks/:taskId',
      '/redfish/v1/TaskService/TaskMonitors/:taskId',
      '/redfish/v1/SessionService/Sessions/:sessionId',
      '/redfish/v1/Registries/:registryId/:file',
      '/redfish/v1/JsonSchemas/:schemaId/:file',
    ]);
    // Action targets are POST-only: a GET meets the route (405), never a 404.
    for (const id of systems) assert.ok(targets.has(resetUrl(id)));
    for (const target of targets)
      assert.equal((await call(app, target, { user: 'admin' })).statusCode, 405);
  });
});

void describe('route table', () => {
  const registry = JSON.parse(
    readFileSync(
      new URL(
        '../../../shared/redfish-schema/registries/Redfish_1.8.0_PrivilegeRegistry.json',
        import.meta.url,
      ),
      'utf8',
    ),
  ) as { Mappings: { Entity: string; OperationMap: Record<string, { Privilege: string[] }[]> }[] };

  /** The privilege-registry entity each URL serves (a new route must be added here). */
  const entities: Record<string, string | undefined> = {
    '/redfish': undefined, // the version object is outside the resource model: never authenticated
    '/redfish/v1': 'ServiceRoot',
    '/redfish/v1/Systems': 'ComputerSystemCollection',
    '/redfish/v1/Systems/:systemId': 'ComputerSystem',
    '/redfish/v1/Systems/:systemId/Actions/ComputerSystem.Reset': 'ComputerSystem',
    '/redfish/v1/Managers': 'ManagerCollection',
    '/redfish/v1/Managers/:managerId': 'Manager',
    '/redfish/v1/Systems/:systemId/Processors': 'ProcessorCollection',
    '/redfish/v1/Systems/:systemId/Processors/:processorId': 'Processor',
    '/redfish/v1/Systems/:systemId/Memory': 'MemoryCollection',
    '/redfish/v1/Systems/:systemId/Memory/:memoryId': 'Memory',
    '/redfish/v1/Systems/:systemId/EthernetInterfaces': 'EthernetInterfaceCollection',
    '/redfish/v1/Systems/:systemId/EthernetInterfaces/:interfaceId': 'EthernetInterface',
    '/redfish/v1/Systems/:systemId/SimpleStorage': 'SimpleStorageCollection',
    '/redfish/v1/Systems/:systemId/SimpleStorage/:storageId': 'SimpleStorage',
    '/redfish/v1/Systems/:systemId/Storage': 'StorageCollection',
    '/redfish/v1/Systems/:systemId/Storage/:storageId': 'Storage',
    '/redfish/v1/Systems/:systemId/Storage/:storageId/Drives/:driveId': 'Drive',
    '/redfish/v1/Systems/:systemId/Storage/:storageId/Volumes': 'VolumeCollection',
    '/redfish/v1/Systems/:systemId/Storage/:storageId/Volumes/:volumeId': 'Volume',
    '/redfish/v1/Systems/:systemId/Bios': 'Bios',
    '/redfish/v1/Systems/:systemId/Bios/Settings': 'Bios',
    '/redfish/v1/Systems/:systemId/SecureBoot': 'SecureBoot',
    '/redfish/v1/Systems/:systemId/SecureBoot/Actions/SecureBoot.ResetKeys': 'SecureBoot',
    '/redfish/v1/Managers/:managerId/NetworkProtocol': 'ManagerNetworkProtocol',
    '/redfish/v1/Managers/:managerId/EthernetInterfaces': 'EthernetInterfaceCollection',
    '/redfish/v1/Managers/:managerId/EthernetInterfaces/:interfaceId': 'EthernetInterface',
    '/redfish/v1/Chassis': 'ChassisCollection',
    '/redfish/v1/Chassis/:chassisId': 'Chassis',
    '/redfish/v1/TaskService': 'TaskService',
    '/redfish/v1/TaskService/Tasks': 'TaskCollection',
    '/redfish/v1/TaskService/Tasks/:taskId': 'Task',
    '/redfish/v1/TaskService/TaskMonitors/:taskId': 'Task',
    '/redfish/v1/$metadata': undefined, // OData documents: DSP0266 requires them without auth
    '/redfish/v1/odata': undefined,
    '/redfish/v1/SessionService': 'SessionService',
    '/redfish/v1/SessionService/Sessions': 'SessionCollection',
    '/redfish/v1/SessionService/Sessions/Members': 'SessionCollection', // POST to Members = login
    '/redfish/v1/SessionService/Sessions/:sessionId': 'Session',
    '/redfish/v1/AccountService': 'AccountService',
    '/redfish/v1/AccountService/Accounts': 'ManagerAccountCollection',
    '/redfish/v1/AccountService/Accounts/:accountId': 'ManagerAccount',
    '/redfish/v1/AccountService/Roles': 'RoleCollection',
    '/redfish/v1/AccountService/Roles/:roleId': 'Role',
    '/redfish/v1/Registries': 'MessageRegistryFileCollection',
    '/redfish/v1/Registries/:registryId': 'MessageRegistryFile',
    '/redfish/v1/Registries/:registryId/:file': 'MessageRegistryFile',
    '/redfish/v1/JsonSchemas': 'JsonSchemaFileCollection',
    '/redfish/v1/JsonSchemas/:schemaId': 'JsonSchemaFile',
    '/redfish/v1/JsonSchemas/:schemaId/:file': 'JsonSchemaFile',
    ...Object.fromEntries(
      ['/redfish/v1/Systems/:systemId', '/redfish/v1/Managers/:managerId'].flatMap((host) => [
        [`${host}/VirtualMedia`, 'VirtualMediaCollection'],
        [`${host}/VirtualMedia/:mediaId`, 'VirtualMedia'],
        [`${host}/VirtualMedia/:mediaId/Actions/VirtualMedia.InsertMedia`, 'VirtualMedia'],
        [`${host}/VirtualMedia/:mediaId/Actions/VirtualMedia.EjectMedia`, 'VirtualMedia'],
        [`${host}/LogServices`, 'LogServiceCollection'],
        [`${host}/LogServices/:logServiceId`, 'LogService'],
        [`${host}/LogServices/:logServiceId/Entries`, 'LogEntryCollection'],
        [`${host}/LogServices/:logServiceId/Entries/:entryId`, 'LogEntry'],
      ]),
    ),
  };

  void it('gives every route the privilege the DMTF privilege registry requires', () => {
    for (const route of routeTable) {
      assert.ok(route.url in entities, `no registry entity recorded for ${route.url}`);
      const entity = entities[route.url];
      if (entity === undefined) {
        assert.equal(route.privilege, 'NoAuth');
        continue;
      }
      const mapping = registry.Mappings.find((m) => m.Entity === entity);
      const allowed = mapping?.OperationMap[route.method]?.map((p) => p.Privilege.join('+')) ?? [];
      // Login needs no credentials: it is how a client gets them (DSP0266).
      if (entity === 'SessionCollection' && route.method === 'POST') {
        assert.equal(route.privilege, 'NoAuth');
        continue;
      }
      // A departure from the registry (its PrivilegeOverride) must say why.
      if (route.privilegeOverride !== undefined) {
        assert.ok(route.privilegeOverride.length > 20, `${route.url}: override without reason`);
        assert.ok(
          !allowed.includes(route.privilege),
          `${route.url}: override that overrides nothing`,
        );
        continue;
      }
      assert.ok(
        allowed.includes(route.privilege),
        `${route.method} ${route.url}: ${route.privilege} not in ${allowed.join('|')}`,
      );
    }
  });
});
