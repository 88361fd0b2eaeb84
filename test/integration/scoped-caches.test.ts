// The VM caches hold only what some chassis can show (issue 12): with every chassis requiring
// redfish-enabled=true, unlabelled VMs are neither cached nor served, labelled ones are, and a
// VM that gains the label appears without a restart.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startService, type TestService } from '../helpers/service.ts';
import { allVms, simulatorOf, vmKey } from './systems-http.ts';

void describe('VM caches scoped by the chassis labels', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ vms: 40 });
  });
  after(() => service.close());

  void it('hold and serve the labelled VMs only', async () => {
    const vms = allVms(service, ['demo-a', 'demo-b']);
    const labelled = vms.filter((vm) => vm.metadata.labels?.['redfish-enabled'] === 'true');
    const unlabelled = vms.filter((vm) => !labelled.includes(vm));
    assert.ok(unlabelled.length > 0 && labelled.length > 0, 'the scenario has both kinds');
    const { backend } = service.service;
    for (const vm of unlabelled)
      assert.equal(
        backend.getVm({ namespace: vm.metadata.namespace ?? '', name: vm.metadata.name }),
        undefined,
      );
    const cached = ['demo-a', 'demo-b'].flatMap((ns) => backend.listVms(ns));
    assert.equal(cached.length, labelled.length);
    const collection = await service.getValid('/redfish/v1/Systems', 'admin');
    assert.equal(collection['Members@odata.count'], labelled.length);
  });

  void it('pick up a VM once it gains the label', async () => {
    const vm = allVms(service, ['demo-a']).find(
      (v) => v.metadata.labels?.['redfish-enabled'] !== 'true',
    );
    assert.ok(vm, 'an unlabelled VM in demo-a');
    simulatorOf(service).store.mutate(vmKey, 'demo-a', vm.metadata.name, (draft) => {
      const metadata = draft.metadata as { labels?: Record<string, string> };
      metadata.labels = { ...metadata.labels, 'redfish-enabled': 'true' };
    });
    await service.waitFor(
      () =>
        service.service.backend.getVm({ namespace: 'demo-a', name: vm.metadata.name }) !==
        undefined,
    );
    const system = await service.getValid(
      `/redfish/v1/Systems/demo-a.${vm.metadata.name}`,
      'admin',
    );
    assert.equal(system.Id, `demo-a.${vm.metadata.name}`);
  });
});
