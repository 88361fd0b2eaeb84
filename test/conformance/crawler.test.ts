// Crawls the real service (src/cli/serve.ts on the simulator) from /redfish/v1 as every test user,
// following every @odata.id and every bundled-file Location, and checks each resource the way the
// DMTF validators do: 200, @odata.id is the URL, @odata.type names a DMTF schema that validates
// the body, Members@odata.count is right, Allow/ETag/Link are present and the Link resolves.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { odataTypes } from '../../src/redfish/odata.ts';
import { precompileSchemas, schemaOf, validateRedfish } from '../helpers/redfish-schema.ts';
import { startService, type TestService, type TestUser } from '../helpers/service.ts';

const shared = new URL('../../../shared/redfish-schema/', import.meta.url);

/** Every `@odata.id` in a body (links and expanded members alike), and Location URIs. */
const linksIn = (node: unknown): { ids: string[]; files: string[] } => {
  const ids: string[] = [];
  const files: string[] = [];
  const walk = (n: unknown, key?: string): void => {
    if (Array.isArray(n)) n.forEach((v) => walk(v, key === 'Location' ? key : undefined));
    else if (n !== null && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) walk(v, k);
      const uri = (n as { Uri?: unknown }).Uri;
      if (key === 'Location' && typeof uri === 'string') files.push(uri);
    } else if (typeof n === 'string' && key === '@odata.id') ids.push(n);
  };
  walk(node);
  return { ids, files };
};

const describedby = (header: string | null): string | undefined =>
  /^<([^>]+)>;\s*rel=describedby$/.exec(header ?? '')?.[1];

interface Crawl {
  readonly resources: Map<string, any>;
  readonly files: Set<string>;
}

const crawl = async (service: TestService, user: TestUser): Promise<Crawl> => {
  const resources = new Map<string, any>();
  const files = new Set<string>();
  const schemaLinks = new Set<string>();
  const queue = ['/redfish/v1'];
  while (queue.length > 0) {
    const url = queue.shift()!;
    if (resources.has(url)) continue;
    const reply = await service.request(url, { user });
    assert.equal(reply.status, 200, `${user} GET ${url}: ${reply.text.slice(0, 300)}`);
    const body = reply.body;
    resources.set(url, body);
    assert.equal(body['@odata.id'], url, `${url} names itself ${body['@odata.id']}`);
    const { file } = schemaOf(body['@odata.type']);
    assert.ok(existsSync(new URL(`json-schema/${file}`, shared)), `${url}: no DMTF ${file}`);
    validateRedfish(body);
    if (Array.isArray(body.Members))
      assert.equal(body['Members@odata.count'], body.Members.length, `${url} member count`);
    const allow = reply.headers.get('allow') ?? '';
    assert.match(allow, /^GET, HEAD\b/, `${url} Allow: ${allow}`);
    assert.match(reply.headers.get('etag') ?? '', /^"[0-9a-f]+"$/, `${url} has no strong ETag`);
    assert.equal(reply.headers.get('odata-version'), '4.0');
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    const schemaLink = describedby(reply.headers.get('link'));
    assert.ok(schemaLink, `${url} has no describedby Link`);
    assert.ok(schemaLink.endsWith(`/${file}`), `${url} Link ${schemaLink} is not ${file}`);
    schemaLinks.add(schemaLink);
    const links = linksIn(body);
    queue.push(...links.ids.filter((id) => !resources.has(id)));
    links.files.forEach((f) => files.add(f));
  }
  // Every describedby target and every Location resolves to the DMTF file it names.
  for (const uri of [...schemaLinks, ...files]) {
    const reply = await service.request(uri, { user });
    assert.equal(reply.status, 200, `${uri}: ${reply.status}`);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    const name = uri.split('/').pop()!;
    const id = reply.body.$id ?? `${reply.body.Id}.json`;
    assert.ok(String(id).endsWith(name), `${uri} serves ${id}`);
    const source = name.startsWith('Base.') ? `registries/${name}` : `json-schema/${name}`;
    assert.deepEqual(reply.body, JSON.parse(readFileSync(new URL(source, shared), 'utf8')));
    files.add(uri);
  }
  return { resources, files };
};

void describe('conformance crawl of the running service', () => {
  let service: TestService;
  const crawls = new Map<TestUser, Crawl>();
  before(async () => {
    // Compiled up front: a first compile mid-crawl can outlast the keep-alive timeout.
    precompileSchemas(Object.values(odataTypes));
    service = await startService();
  });
  after(() => service.close());

  for (const user of ['admin', 'operator-a', 'viewer-b'] as const)
    void it(`reaches only valid, self-describing resources as ${user}`, async () => {
      crawls.set(user, await crawl(service, user));
    });

  void it('reaches every resource family from the service root', () => {
    const admin = crawls.get('admin');
    assert.ok(admin, 'the admin crawl ran');
    const urls = [...admin.resources.keys()];
    for (const expected of [
      '/redfish/v1/Systems',
      '/redfish/v1/Chassis/demo-a',
      '/redfish/v1/Managers',
      '/redfish/v1/SessionService',
      '/redfish/v1/SessionService/Sessions',
      '/redfish/v1/AccountService/Accounts/viewer-b',
      '/redfish/v1/AccountService/Roles/Operator',
      '/redfish/v1/TaskService/Tasks',
      '/redfish/v1/Registries/Base',
      '/redfish/v1/JsonSchemas/ComputerSystem',
    ])
      assert.ok(urls.includes(expected), `${expected} not reached`);
    assert.ok(
      urls.some((u) => /^\/redfish\/v1\/Systems\/demo-a\.[^/]+\/VirtualMedia\/Cd$/.test(u)),
    );
    assert.ok(admin.files.has('/redfish/v1/Registries/Base/Base.1.22.1.json'));
  });

  void it('shows each user only their chassis, their account and their sessions', () => {
    const operator = [...(crawls.get('operator-a')?.resources.keys() ?? [])];
    const viewer = [...(crawls.get('viewer-b')?.resources.keys() ?? [])];
    assert.ok(operator.some((u) => u.startsWith('/redfish/v1/Systems/demo-a.')));
    assert.ok(!operator.some((u) => u.includes('demo-b')), 'operator-a reached demo-b');
    assert.ok(viewer.some((u) => u.startsWith('/redfish/v1/Systems/demo-b.')));
    assert.ok(!viewer.some((u) => u.includes('demo-a')), 'viewer-b reached demo-a');
    const accounts = (urls: string[]) =>
      urls.filter((u) => u.startsWith('/redfish/v1/AccountService/Accounts/'));
    assert.deepEqual(accounts(viewer), ['/redfish/v1/AccountService/Accounts/viewer-b']);
    assert.equal(accounts([...(crawls.get('admin')?.resources.keys() ?? [])]).length, 3);
  });

  void it('answers HEAD like GET, without a body, everywhere GET is', async () => {
    const admin = crawls.get('admin');
    assert.ok(admin);
    for (const url of [...admin.resources.keys(), ...admin.files]) {
      const get = await service.request(url, { user: 'admin' });
      const head = await service.request(url, { user: 'admin', method: 'HEAD' });
      assert.equal(head.status, 200, url);
      assert.equal(head.text, '');
      assert.equal(head.headers.get('allow'), get.headers.get('allow'));
      assert.equal(head.headers.get('etag'), get.headers.get('etag'), url);
    }
  });

  void it('serves $metadata without auth, referencing DMTF CSDL for every schema it serves', async () => {
    const reply = await service.request('/redfish/v1/$metadata');
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/xml/);
    assert.match(
      reply.text,
      /<EntityContainer Name="Service" Extends="ServiceRoot\.v1_20_0\.ServiceContainer"\/>/,
    );
    const references = [
      ...reply.text.matchAll(/<edmx:Reference Uri="([^"]+)">([\s\S]*?)<\/edmx:Reference>/g),
    ];
    assert.ok(references.length > 20);
    for (const [, uri = '', includes = ''] of references) {
      const file = uri.replace('http://redfish.dmtf.org/schemas/v1/', '');
      const csdl = readFileSync(new URL(`csdl/${file}`, shared), 'utf8');
      for (const [, namespace] of includes.matchAll(/Namespace="([^"]+)"/g))
        assert.ok(csdl.includes(`Namespace="${namespace}"`), `${file} lacks ${namespace}`);
    }
    // Every type the crawl met is declared.
    const types = new Set(
      [...(crawls.get('admin')?.resources.values() ?? [])].map((b) => String(b['@odata.type'])),
    );
    for (const type of types) {
      const namespace = type.slice(1, type.lastIndexOf('.'));
      assert.ok(reply.text.includes(`Namespace="${namespace}"`), `$metadata lacks ${namespace}`);
    }
  });

  void it('serves the OData service document without auth', async () => {
    const reply = await service.request('/redfish/v1/odata');
    assert.equal(reply.status, 200);
    assert.equal(reply.body['@odata.context'], '/redfish/v1/$metadata');
    const urls = (reply.body.value as { url: string; kind: string }[]).map((v) => v.url);
    assert.ok(urls.includes('/redfish/v1/'));
    const root = (await service.request('/redfish/v1')).body;
    for (const name of ['Systems', 'Chassis', 'Managers', 'SessionService', 'JsonSchemas'])
      assert.ok(urls.includes(root[name]['@odata.id']), `${name} missing from the odata document`);
  });
});
