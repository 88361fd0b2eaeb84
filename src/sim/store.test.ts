// Store semantics: resourceVersion, conflicts, generation, status subresource, finalizers,
// garbage collection, watch history and KubeVirt admission.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ManualClock, seededRandom } from '../util/clock.ts';
import { createStore } from './store.ts';
import { TypeKeys } from './resource-types.ts';
import { minimalVm, namespace } from './testing.ts';
import type { KubeObject, StoreEvent } from './types.ts';
import { StatusError } from './types.ts';

const VM = TypeKeys.virtualMachines;
const VMI = TypeKeys.virtualMachineInstances;
const DV = TypeKeys.dataVolumes;
const PVC = TypeKeys.persistentVolumeClaims;

const setup = (watchWindow?: number) => {
  const clock = new ManualClock();
  const store = createStore({
    clock,
    random: seededRandom(7),
    ...(watchWindow ? { watchWindow } : {}),
  });
  store.create('namespaces', namespace('demo'));
  return { clock, store };
};

const statusOf = (fn: () => unknown): StatusError => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StatusError, String(error));
    return error;
  }
  assert.fail('expected a StatusError');
};

const spec = (o: KubeObject) => o.spec as Record<string, unknown>;
interface VmSpec {
  runStrategy?: string;
  running?: unknown;
  template: {
    spec: {
      domain: { devices: { disks: Record<string, unknown>[] }; firmware?: { uuid?: string } };
      volumes: Record<string, unknown>[];
      architecture?: unknown;
    };
  };
}
const vmSpec = (o: KubeObject) => o.spec as VmSpec;

void describe('store', () => {
  it('serves the system namespaces and bumps one global resourceVersion per write', () => {
    const { store } = setup();
    assert.deepEqual(
      store.list('namespaces').items.map((n) => n.metadata.name),
      ['default', 'demo', 'kube-node-lease', 'kube-public', 'kube-system'],
    );
    const before = Number(store.currentResourceVersion());
    const vm = store.create(VM, minimalVm('a', 'demo'));
    assert.equal(vm.metadata.resourceVersion, String(before + 1));
    const cm = store.create(TypeKeys.configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'demo' },
    });
    assert.equal(cm.metadata.resourceVersion, String(before + 2));
    assert.equal(store.currentResourceVersion(), String(before + 2));
    assert.equal(store.list(VM).resourceVersion, String(before + 2));
  });

  it('assigns uid, creationTimestamp, generation and a generateName suffix', () => {
    const { store, clock } = setup();
    const vm = store.create(VM, {
      ...minimalVm('', 'demo'),
      metadata: { generateName: 'web-', namespace: 'demo' },
    });
    assert.match(vm.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.match(
      vm.metadata.uid ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(
      vm.metadata.creationTimestamp,
      new Date(clock.now()).toISOString().replace('.000', ''),
    );
    assert.equal(vm.metadata.generation, 1);
  });

  it('rejects duplicates (409 AlreadyExists), missing namespaces (404) and bad names (422)', () => {
    const { store } = setup();
    store.create(VM, minimalVm('a', 'demo'));
    const dup = statusOf(() => store.create(VM, minimalVm('a', 'demo')));
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    assert.equal(dup.message, 'virtualmachines.kubevirt.io "a" already exists');
    const missing = statusOf(() => store.create(VM, minimalVm('a', 'nowhere')));
    assert.equal(missing.code, 404);
    assert.equal(missing.message, 'namespaces "nowhere" not found');
    const bad = statusOf(() => store.create(VM, minimalVm('Bad_Name', 'demo')));
    assert.equal(bad.code, 422);
    assert.match(
      bad.message,
      /^VirtualMachine\.kubevirt\.io "Bad_Name" is invalid: metadata\.name: Invalid value/,
    );
  });

  it('answers 409 Conflict with the real message on a stale resourceVersion', () => {
    const { store } = setup();
    const vm = store.create(VM, minimalVm('a', 'demo'));
    store.update(VM, { ...vm, metadata: { ...vm.metadata, labels: { x: '1' } } });
    const stale = statusOf(() =>
      store.update(VM, { ...vm, metadata: { ...vm.metadata, labels: { x: '2' } } }),
    );
    assert.equal(stale.code, 409);
    assert.equal(
      stale.message,
      'Operation cannot be fulfilled on virtualmachines.kubevirt.io "a": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('moves generation on spec changes only, and keeps status out of main-resource writes', () => {
    const { store } = setup();
    store.create(VM, minimalVm('a', 'demo'));
    const labelled = store.mutate(VM, 'demo', 'a', (d) => {
      d.metadata.labels = { x: '1' };
    });
    assert.equal(labelled.metadata.generation, 1);
    const specChanged = store.mutate(VM, 'demo', 'a', (d) => {
      spec(d).runStrategy = 'Always';
    });
    assert.equal(specChanged.metadata.generation, 2);
    const ignored = store.mutate(VM, 'demo', 'a', (d) => {
      d.status = { printableStatus: 'Running' };
    });
    assert.equal(ignored.status, undefined, 'status is ignored on the main resource');
    assert.equal(
      ignored.metadata.resourceVersion,
      specChanged.metadata.resourceVersion,
      'no-op write',
    );
    const status = store.mutate(
      VM,
      'demo',
      'a',
      (d) => {
        d.status = { printableStatus: 'Running' };
        spec(d).runStrategy = 'Halted';
      },
      { subresource: 'status' },
    );
    assert.deepEqual(status.status, { printableStatus: 'Running' });
    assert.equal(spec(status).runStrategy, 'Always', 'spec is ignored on /status');
    assert.equal(status.metadata.generation, 2);
  });

  it('moves VMI generation on status changes (no status subresource)', () => {
    const { store } = setup();
    store.create(VMI, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'a', namespace: 'demo' },
      spec: {},
    });
    const next = store.mutate(VMI, 'demo', 'a', (d) => {
      d.status = { phase: 'Running' };
    });
    assert.equal(next.metadata.generation, 2);
    assert.deepEqual(next.status, { phase: 'Running' });
  });

  it('defers deletion while finalizers remain, then deletes when the last one goes', () => {
    const { store, clock } = setup();
    store.create(VMI, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: {
        name: 'a',
        namespace: 'demo',
        finalizers: ['kubevirt.io/virtualMachineControllerFinalize'],
      },
      spec: {},
    });
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    const marked = store.delete(VMI, 'demo', 'a');
    assert.equal(
      marked.metadata.deletionTimestamp,
      new Date(clock.now()).toISOString().replace('.000', ''),
    );
    assert.ok(store.get(VMI, 'demo', 'a'));
    store.mutate(VMI, 'demo', 'a', (d) => {
      d.metadata.finalizers = [];
    });
    assert.equal(store.get(VMI, 'demo', 'a'), undefined);
    assert.deepEqual(
      events.map((e) => e.type),
      ['MODIFIED', 'DELETED'],
    );
  });

  it('garbage-collects dependents in the background, keeps those with a live owner, orphans on request', () => {
    const { store } = setup();
    const vm = store.create(VM, minimalVm('a', 'demo'));
    const other = store.create(VM, minimalVm('b', 'demo'));
    const owner = (o: KubeObject) => ({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      name: o.metadata.name ?? '',
      uid: o.metadata.uid ?? '',
    });
    const dv = (name: string, owners: KubeObject[]) =>
      store.create(DV, {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataVolume',
        metadata: { name, namespace: 'demo', ownerReferences: owners.map(owner) },
        spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } },
      });
    const onlyA = dv('only-a', [vm]);
    dv('shared', [vm, other]);
    store.create(PVC, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'only-a',
        namespace: 'demo',
        ownerReferences: [
          {
            apiVersion: 'cdi.kubevirt.io/v1beta1',
            kind: 'DataVolume',
            name: 'only-a',
            uid: onlyA.metadata.uid ?? '',
          },
        ],
      },
      spec: {},
    });
    const events: string[] = [];
    store.subscribe((e) => events.push(`${e.type} ${e.typeKey} ${e.object.metadata.name ?? ''}`));
    store.delete(VM, 'demo', 'a');
    assert.equal(store.get(DV, 'demo', 'only-a'), undefined);
    assert.equal(store.get(PVC, 'demo', 'only-a'), undefined, 'cascades through the DataVolume');
    assert.deepEqual(
      store.get(DV, 'demo', 'shared')?.metadata.ownerReferences?.map((r) => r.name),
      ['b'],
    );
    assert.equal(
      events[0],
      'DELETED virtualmachines.kubevirt.io a',
      'owner goes first (Background)',
    );
    dv('orphan', [other]);
    store.delete(VM, 'demo', 'b', { propagationPolicy: 'Orphan' });
    assert.equal(store.get(DV, 'demo', 'orphan')?.metadata.ownerReferences, undefined);
  });

  it('empties a namespace before deleting it', () => {
    const { store } = setup();
    store.create(VM, minimalVm('a', 'demo'));
    const gone = store.delete('namespaces', undefined, 'demo');
    assert.equal((gone.status as { phase: string }).phase, 'Terminating');
    assert.equal(store.list(VM).items.length, 0);
  });

  it('keeps a bounded history: eventsSince replays, older versions are 410 Expired', () => {
    const { store } = setup(3);
    const start = store.currentResourceVersion();
    for (const name of ['a', 'b', 'c', 'd']) store.create(VM, minimalVm(name, 'demo'));
    const since = Number(start) + 1;
    assert.deepEqual(
      store.eventsSince(String(since)).map((e) => e.object.metadata.name),
      ['b', 'c', 'd'],
    );
    const expired = statusOf(() => store.eventsSince(start));
    assert.equal(expired.code, 410);
    assert.equal(expired.reason, 'Expired');
    assert.equal(expired.message, `too old resource version: ${start} (${since + 1})`);
  });

  it('delivers events in resourceVersion order even when a listener writes', () => {
    const { store } = setup();
    const seen: [string, string][] = [];
    store.subscribe((e) => {
      if (e.type === 'ADDED' && e.object.metadata.name === 'a')
        store.create(VM, minimalVm('b', 'demo'));
    });
    store.subscribe((e) =>
      seen.push([e.object.metadata.name ?? '', e.object.metadata.resourceVersion ?? '']),
    );
    store.create(VM, minimalVm('a', 'demo'));
    assert.deepEqual(
      seen.map(([n]) => n),
      ['a', 'b'],
    );
    assert.ok(Number(seen[0]?.[1]) < Number(seen[1]?.[1]));
    assert.ok(
      Object.isFrozen(store.eventsSince('0')[0]?.object),
      'event objects are shared and frozen',
    );
  });

  it('gives a new VM a firmware UUID from the injected random source', () => {
    const a = setup().store.create(VM, minimalVm('a', 'demo'));
    const b = setup().store.create(VM, minimalVm('a', 'demo'));
    const uuid = (o: KubeObject) => vmSpec(o).template.spec.domain.firmware?.uuid ?? '';
    assert.match(uuid(a), /^[0-9a-f-]{36}$/);
    assert.equal(uuid(a), uuid(b), 'same seed, same UUID');
    const kept = minimalVm('c', 'demo');
    vmSpec(kept).template.spec.domain.firmware = {
      uuid: '11111111-2222-4333-8444-555555555555',
    };
    assert.equal(uuid(setup().store.create(VM, kept)), '11111111-2222-4333-8444-555555555555');
  });

  it("defaults the template's architecture on create and update as KubeVirt's webhook does", () => {
    const { store } = setup();
    const arch = (o: KubeObject) => vmSpec(o).template.spec.architecture;
    assert.equal(arch(store.create(VM, minimalVm('plain', 'demo'))), 'amd64');
    const arm = minimalVm('arm', 'demo');
    vmSpec(arm).template.spec.architecture = 'arm64';
    assert.equal(arch(store.create(VM, arm)), 'arm64', 'a stated architecture is kept');
    // An update that clears it gets the default back (the webhook also runs on UPDATE).
    const cleared = store.mutate(VM, 'demo', 'arm', (d) => {
      vmSpec(d).template.spec.architecture = '';
    });
    assert.equal(arch(cleared), 'amd64');
    // Another cluster default (KubeVirt CR architectureConfiguration.defaultArchitecture).
    const s390x = createStore({ clock: new ManualClock(), defaultArchitecture: 's390x' });
    s390x.create('namespaces', namespace('demo'));
    assert.equal(arch(s390x.create(VM, minimalVm('z', 'demo'))), 's390x');
    // A value of the wrong type is the schema's to refuse, not replaced.
    const wrong = minimalVm('wrong', 'demo');
    vmSpec(wrong).template.spec.architecture = 7;
    assert.equal(statusOf(() => store.create(VM, wrong)).reason, 'Invalid');
  });

  it('validates VMs like the CRD schema and the KubeVirt webhook', () => {
    const { store } = setup();
    const vm = (mutate: (s: VmSpec) => void) => {
      const o = minimalVm('v', 'demo');
      mutate(vmSpec(o));
      return statusOf(() => store.create(VM, o));
    };
    const typeError = vm((s) => {
      s.template.spec.domain.devices.disks = [{ name: 'root', disk: {}, bootOrder: 'first' }];
    });
    assert.equal(typeError.code, 422);
    assert.equal(
      typeError.details?.causes?.[0]?.field,
      'spec.template.spec.domain.devices.disks[0].bootOrder',
    );
    assert.match(typeError.message, /must be of type integer/);
    const noStrategy = vm((s) => {
      delete s.runStrategy;
    });
    assert.equal(
      noStrategy.message,
      'admission webhook "virtualmachine-validator.kubevirt.io" denied the request: RunStrategy must be specified',
    );
    const both = vm((s) => {
      s.running = true;
    });
    assert.match(both.message, /Running and RunStrategy are mutually exclusive/);
    const dupBoot = vm((s) => {
      s.template.spec.domain.devices.disks = [
        { name: 'root', disk: {}, bootOrder: 1 },
        { name: 'cd', cdrom: {}, bootOrder: 1 },
      ];
      s.template.spec.volumes.push({ name: 'cd', containerDisk: { image: 'x' } });
    });
    assert.equal(
      dupBoot.details?.causes?.[0]?.field,
      'spec.template.spec.domain.devices.disks[1].bootOrder',
    );
    const noVolume = vm((s) => {
      s.template.spec.domain.devices.disks.push({ name: 'data', disk: {} });
    });
    assert.match(
      noVolume.message,
      /spec\.template\.spec\.domain\.devices\.disks\[1\]\.Name 'data' not found\./,
    );
    assert.equal(noVolume.code, 422);
  });

  it('admits an empty CD-ROM only when declarative hotplug is on, as KubeVirt v1.9 does', () => {
    const withEmptyCd = (store: ReturnType<typeof createStore>, name: string) => {
      const object = minimalVm(name, 'default');
      (object.spec as any).template.spec.domain.devices.disks.push({
        name: 'redfish-cd',
        cdrom: { bus: 'sata' },
      });
      return store.create(VM, object);
    };
    const { store } = setup();
    assert.ok(withEmptyCd(store, 'gate-on').metadata.uid);
    const gateOff = createStore({ clock: new ManualClock(), emptyCdrom: false });
    const denial = statusOf(() => withEmptyCd(gateOff, 'gate-off'));
    assert.equal(denial.code, 422);
    assert.match(denial.message, /DeclarativeHotplugVolumes feature gate not enabled/);
  });

  it('validates DataVolumes against the CDI schema', () => {
    const { store } = setup();
    const error = statusOf(() =>
      store.create(DV, {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataVolume',
        metadata: { name: 'd', namespace: 'demo' },
        spec: { source: { http: {} } },
      }),
    );
    assert.equal(error.code, 422);
    assert.equal(error.details?.causes?.[0]?.field, 'spec.source.http.url');
    assert.equal(error.details?.causes?.[0]?.reason, 'FieldValueRequired');
  });
});
