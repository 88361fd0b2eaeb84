// The event log of each system over real HTTP against the simulator (issue 13 item 6): KubeVirt's
// own start events, this service's audit records (who did what, success or failure) as entries
// and as Kubernetes Events on the VM, newest first, paged with $top/$skip, the same log under the
// Manager, and the chassis scope (another chassis' log is 404 like everything else).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startService, type TestService, type TestUser } from '../helpers/service.ts';
import { validateRedfish } from '../helpers/redfish-schema.ts';
import {
  postReset,
  reset,
  simulatorOf,
  storedVm,
  storedVmi,
  waitForCluster,
} from './systems-http.ts';

interface Entry {
  '@odata.id': string;
  Id: string;
  Name: string;
  EntryType: string;
  Severity: string;
  Created: string;
  Message: string;
  Originator: string;
  OriginatorType: string;
  Username?: string;
  MessageId?: string;
  Links: { OriginOfCondition: { '@odata.id': string } };
}

interface KubeEvent {
  metadata: { uid: string; name: string; annotations?: Record<string, string> };
  involvedObject: { kind: string; name: string; uid?: string; apiVersion: string };
  reason: string;
  message: string;
  type: string;
  source: { component: string };
  reportingComponent: string;
}

const systemLog = (id: string) => `/redfish/v1/Systems/${id}/LogServices/Log`;
const managerLog = (id: string) => `/redfish/v1/Managers/${id}/LogServices/Log`;

void describe('the event log of a system', () => {
  let service: TestService;
  const entries = async (id: string, user: TestUser = 'admin', query = ''): Promise<Entry[]> =>
    (await service.getValid(`${systemLog(id)}/Entries${query}`, user)).Members as Entry[];
  const events = (namespace: string): KubeEvent[] =>
    simulatorOf(service).store.list('events', namespace).items as unknown as KubeEvent[];
  /** Waits for an entry of `id` that `match` accepts; returns it. */
  const entryOf = async (id: string, match: (e: Entry) => boolean): Promise<Entry> => {
    let found: Entry | undefined;
    await service.waitFor(async () => {
      found = (await entries(id)).find(match);
      return found !== undefined;
    });
    return found!;
  };

  before(async () => {
    service = await startService();
    await service.waitFor(async () => (await service.request('/readyz')).status === 200);
  });
  after(() => service.close());

  void it('is linked from the system and its Manager, as the OCP baseline requires', async () => {
    const id = 'demo-a.db-primary';
    const system = await service.getValid(`/redfish/v1/Systems/${id}`);
    const manager = await service.getValid(`/redfish/v1/Managers/${id}`);
    for (const [body, host] of [
      [system, `/redfish/v1/Systems/${id}`],
      [manager, `/redfish/v1/Managers/${id}`],
    ] as const) {
      assert.equal(body.LogServices['@odata.id'], `${host}/LogServices`);
      const collection = await service.getValid(`${host}/LogServices`);
      assert.deepEqual(collection.Members, [{ '@odata.id': `${host}/LogServices/Log` }]);
      const log = await service.getValid(`${host}/LogServices/Log`);
      assert.equal(log.Id, 'Log');
      assert.equal(log.LogEntryType, 'Event');
      assert.equal(log.ServiceEnabled, true);
      assert.equal(log.Entries['@odata.id'], `${host}/LogServices/Log/Entries`);
    }
    const missing = await service.request(`/redfish/v1/Systems/${id}/LogServices/SEL`, {
      user: 'admin',
    });
    assert.equal(missing.status, 404);
  });

  void it('shows KubeVirt start events of the VM and its VMI, newest first', async () => {
    const id = 'demo-a.web.frontend';
    await waitForCluster(
      service,
      () => storedVmi(service, 'demo-a', 'web.frontend')?.status?.phase === 'Running',
      'web.frontend running',
    );
    const started = await entryOf(
      id,
      (e) => e.Name === 'VirtualMachineInstance web.frontend: Started',
    );
    assert.equal(started.Message, 'VirtualMachineInstance started.');
    assert.equal(started.Severity, 'OK');
    assert.equal(started.EntryType, 'Event');
    assert.equal(started.Originator, 'virt-handler');
    assert.equal(started.OriginatorType, 'SupportingService');
    assert.equal(started.MessageId, undefined, 'a Kubernetes reason is no registry message');
    assert.equal(started.Links.OriginOfCondition['@odata.id'], `/redfish/v1/Systems/${id}`);
    const all = await entries(id);
    const created = all.find((e) => e.Name === 'VirtualMachine web.frontend: SuccessfulCreate');
    assert.match(created?.Message ?? '', /^Started the virtual machine by creating the new/);
    const times = all.map((e) => Date.parse(e.Created));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    // Each entry is the Kubernetes Event of that uid, readable on its own.
    const vmiUid = storedVmi(service, 'demo-a', 'web.frontend')?.metadata.uid;
    const event = events('demo-a').find((e) => e.metadata.uid === started.Id);
    assert.equal(event?.involvedObject.uid, vmiUid);
    assert.deepEqual(await service.getValid(started['@odata.id']), started);
  });

  void it('records a reset by a named user as the newest entry and as an Event on the VM', async () => {
    const id = 'demo-a.db-primary';
    const reply = await postReset(service, id, 'On', 'operator-a');
    assert.equal(reply.status, 204, reply.text);
    const audit = await entryOf(id, (e) => e.Username === 'operator-a');
    assert.equal(audit.Name, 'VirtualMachine db-primary: RedfishReset');
    assert.equal(audit.Severity, 'OK');
    assert.equal(audit.Message, 'operator-a: ComputerSystem.Reset resetType=On succeeded');
    assert.equal(audit.Originator, 'operator-a');
    assert.equal(audit.OriginatorType, 'Client');

    const vm = storedVm(service, 'demo-a', 'db-primary');
    const event = events('demo-a').find((e) => e.metadata.uid === audit.Id);
    assert.ok(event, 'the entry is a Kubernetes Event in the cluster');
    assert.deepEqual(
      {
        kind: event.involvedObject.kind,
        name: event.involvedObject.name,
        uid: event.involvedObject.uid,
        apiVersion: event.involvedObject.apiVersion,
      },
      {
        kind: 'VirtualMachine',
        name: 'db-primary',
        uid: vm.metadata.uid,
        apiVersion: 'kubevirt.io/v1',
      },
    );
    assert.equal(event.reason, 'RedfishReset');
    assert.equal(event.type, 'Normal');
    assert.equal(event.source.component, 'kubevirt-redfish');
    assert.equal(event.reportingComponent, 'kubevirt-redfish');
    assert.equal(event.message, audit.Message);
    assert.equal(event.metadata.annotations?.['kubevirt-redfish.io/user'], 'operator-a');

    // A later action (Created has whole seconds) comes before it, the start events in between.
    await waitForCluster(
      service,
      () => storedVmi(service, 'demo-a', 'db-primary')?.status?.phase === 'Running',
      'db-primary running',
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await reset(service, id, 'ForceOff');
    const off = await entryOf(
      id,
      (e) => e.Message === 'admin: ComputerSystem.Reset resetType=ForceOff succeeded',
    );
    const log = await entries(id);
    const order = log.map((e) => e.Id);
    // Only what the ForceOff caused (the VMI's end) may come before it.
    for (const newer of log.slice(0, order.indexOf(off.Id)))
      assert.match(
        newer.Name,
        /^VirtualMachine(Instance)? db-primary: (Deleted|Stopped|SuccessfulDelete)$/,
      );
    assert.ok(order.indexOf(audit.Id) > order.indexOf(off.Id));
    const vmiStarted = log.find((e) => e.Name === 'VirtualMachineInstance db-primary: Started');
    assert.ok(vmiStarted, 'the VMI that reset started is in the log');
    assert.ok(order.indexOf(vmiStarted.Id) < order.indexOf(audit.Id));
  });

  void it('records a failed write as a Warning entry and a Warning Event', async () => {
    const id = 'demo-b.app-server-2'; // Halted: a stopped VM cannot be paused
    const reply = await postReset(service, id, 'Pause');
    assert.ok(reply.status >= 400, reply.text);
    const failed = await entryOf(id, (e) => e.Name.endsWith('RedfishReset'));
    assert.equal(failed.Severity, 'Warning');
    assert.match(failed.Message, /^admin: ComputerSystem\.Reset resetType=Pause failed: /);
    const event = events('demo-b').find((e) => e.metadata.uid === failed.Id);
    assert.equal(event?.type, 'Warning');
  });

  void it("shows the events of the system's media DataVolume and records insert and eject", async () => {
    const id = 'demo-b.monitoring';
    const media = `/redfish/v1/Systems/${id}/VirtualMedia/Cd/Actions/VirtualMedia`;
    const image = 'http://images.example/installer.iso';
    const inserted = await service.request(`${media}.InsertMedia`, {
      method: 'POST',
      user: 'admin',
      body: { Image: image },
    });
    assert.equal(inserted.status, 202, inserted.text);
    const store = simulatorOf(service).store;
    const vmUid = storedVm(service, 'demo-b', 'monitoring').metadata.uid;
    const dv = store
      .list('datavolumes.cdi.kubevirt.io', 'demo-b')
      .items.find((d) => d.metadata.labels?.['kubevirt-redfish.io/vm-uid'] === vmUid);
    assert.ok(dv, 'the media DataVolume exists');
    // What CDI's DataVolume controller records on it, and on a DataVolume of another system.
    const cdiEvent = (name: string, uid: string | undefined, reason: string) =>
      store.create('events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.${reason.toLowerCase()}`, namespace: 'demo-b' },
        involvedObject: {
          apiVersion: 'cdi.kubevirt.io/v1beta1',
          kind: 'DataVolume',
          namespace: 'demo-b',
          name,
          ...(uid === undefined ? {} : { uid }),
        },
        reason,
        message: `${reason} of ${name}`,
        type: 'Warning',
        count: 1,
        lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        source: { component: 'datavolume-controller' },
      });
    cdiEvent(dv.metadata.name ?? '', dv.metadata.uid, 'ImportFailed');
    cdiEvent('someone-elses-dv', undefined, 'Bound');
    const cdi = await entryOf(id, (e) => e.Name === `DataVolume ${dv.metadata.name}: ImportFailed`);
    assert.equal(cdi.Severity, 'Warning');
    assert.equal(cdi.Originator, 'datavolume-controller');
    const log = await entries(id);
    assert.ok(!log.some((e) => e.Name.includes('someone-elses-dv')));
    const insert = log.find((e) => e.Name.endsWith('RedfishInsertMedia'));
    assert.equal(insert?.Message, `admin: VirtualMedia.InsertMedia image=${image} succeeded`);

    const ejected = await service.request(`${media}.EjectMedia`, {
      method: 'POST',
      user: 'admin',
      body: {},
    });
    assert.equal(ejected.status, 204, ejected.text);
    const eject = await entryOf(id, (e) => e.Name.endsWith('RedfishEjectMedia'));
    assert.equal(eject.Message, 'admin: VirtualMedia.EjectMedia succeeded');
  });

  void it('pages entries with $top and $skip, the count staying the total', async () => {
    const id = 'demo-a.web.frontend';
    const all = await entries(id);
    assert.ok(all.length >= 3, `${all.length} entries`);
    const path = `${systemLog(id)}/Entries`;
    const first = await service.getValid(`${path}?$top=2`);
    assert.equal(first['Members@odata.count'], all.length);
    assert.deepEqual(
      first.Members.map((e: Entry) => e.Id),
      all.slice(0, 2).map((e) => e.Id),
    );
    assert.equal(first['Members@odata.nextLink'], `${path}?$top=2&$skip=2`);
    const second = await service.getValid(first['Members@odata.nextLink']);
    assert.deepEqual(
      second.Members.map((e: Entry) => e.Id),
      all.slice(2, 4).map((e) => e.Id),
    );
    const rest = await service.getValid(`${path}?$skip=${all.length - 1}`);
    assert.deepEqual(
      rest.Members.map((e: Entry) => e.Id),
      [all[all.length - 1]?.Id],
    );
    assert.equal(rest['Members@odata.nextLink'], undefined);
  });

  void it('serves the same entries under the Manager', async () => {
    const id = 'demo-a.web.frontend';
    const fromSystem = await entries(id);
    const fromManager = (await service.getValid(`${managerLog(id)}/Entries`)).Members as Entry[];
    assert.deepEqual(
      fromManager.map((e) => e.Id),
      fromSystem.map((e) => e.Id),
    );
    const [first] = fromManager;
    assert.ok(first);
    assert.equal(first['@odata.id'], `${managerLog(id)}/Entries/${first.Id}`);
    validateRedfish(await service.getValid(first['@odata.id']));
  });

  void it("answers 404 for another chassis' log, as for any of its resources", async () => {
    const id = 'demo-b.app-server-2';
    const [entry] = await entries(id); // as admin, who sees both chassis
    assert.ok(entry);
    for (const path of [
      `/redfish/v1/Systems/${id}/LogServices`,
      `${systemLog(id)}/Entries`,
      entry['@odata.id'],
      `${managerLog(id)}/Entries/${entry.Id}`,
    ]) {
      const reply = await service.request(path, { user: 'operator-a' });
      assert.equal(reply.status, 404, path);
      validateRedfish(reply.body);
    }
    // Reading a log needs only Login: the read-only user of demo-b reads it.
    assert.ok((await entries(id, 'viewer-b')).some((e) => e.Id === entry.Id));
    const unknown = await service.request(`${systemLog(id)}/Entries/no-such-entry`, {
      user: 'admin',
    });
    assert.equal(unknown.status, 404);
  });
});
