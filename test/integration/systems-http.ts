// Shared steps for the Redfish-over-HTTP acceptance suites: reading the simulated cluster's VMs and
// VMIs, counting the API calls the service makes, and polling a system's Redfish view.
import { strict as assert } from 'node:assert';
import type { VirtualMachine, VirtualMachineInstance } from '../../src/kube/types.ts';
import type { Simulator } from '../../src/sim/simulator.ts';
import type { Reply, TestService, TestUser } from '../helpers/service.ts';

export const vmKey = 'virtualmachines.kubevirt.io';
export const vmiKey = 'virtualmachineinstances.kubevirt.io';

export const simulatorOf = (service: TestService): Simulator => {
  const sim = service.service.simulator;
  assert.ok(sim, 'the service runs on the embedded simulator');
  return sim;
};

export const storedVm = (service: TestService, namespace: string, name: string): VirtualMachine => {
  const vm = simulatorOf(service).store.get(vmKey, namespace, name);
  assert.ok(vm, `VM ${namespace}/${name} exists`);
  return vm as unknown as VirtualMachine;
};

export const storedVmi = (
  service: TestService,
  namespace: string,
  name: string,
): VirtualMachineInstance | undefined =>
  simulatorOf(service).store.get(vmiKey, namespace, name) as unknown as
    VirtualMachineInstance | undefined;

/** Every VM of the namespaces, labelled or not: the systems a user might try to address. */
export const allVms = (service: TestService, namespaces: readonly string[]): VirtualMachine[] =>
  namespaces.flatMap(
    (ns) =>
      simulatorOf(service).store.list(vmKey, ns).items as unknown as readonly VirtualMachine[],
  );

/** Requests the service made to the API server that were not reads (GET). */
export const writes = (service: TestService): number =>
  requestsFor(service) - requestsFor(service, 'GET');

/** Requests (of one method, or all) the service made to the API server for Redfish work. Left
 *  out: the leader Lease, renewed every few seconds whatever the test does, the ConfigMaps of
 *  the sessions namespace, where a user's first login from a client records its lockout
 *  exemption (the login-trust record) at a moment the test does not choose, and the Events of
 *  the VM namespaces: each write's audit record is written after its answer, best effort
 *  (event-log.test.ts checks them). */
export const requestsFor = (service: TestService, method?: string): number => {
  const api = simulatorOf(service).apiServer;
  const background = [
    '/apis/coordination.k8s.io/',
    '/api/v1/namespaces/kubevirt-redfish/configmaps',
    '/api/v1/namespaces/demo-a/events',
    '/api/v1/namespaces/demo-b/events',
  ];
  const count = (pathPrefix?: string) =>
    api.requestCount({
      ...(method === undefined ? {} : { method }),
      ...(pathPrefix === undefined ? {} : { pathPrefix }),
    });
  return background.reduce((total, prefix) => total - count(prefix), count());
};

export const systemUrl = (id: string): string => `/redfish/v1/Systems/${id}`;
export const resetUrl = (id: string): string =>
  `/redfish/v1/Systems/${id}/Actions/ComputerSystem.Reset`;

export const postReset = (
  service: TestService,
  id: string,
  resetType: unknown,
  user: TestUser = 'admin',
): Promise<Reply> =>
  service.request(resetUrl(id), { method: 'POST', user, body: { ResetType: resetType } });

/** POSTs a reset that must answer 204 with an empty body. */
export const reset = async (service: TestService, id: string, resetType: string): Promise<void> => {
  const reply = await postReset(service, id, resetType);
  assert.equal(reply.status, 204, `${resetType} on ${id}: ${reply.text.slice(0, 300)}`);
  assert.equal(reply.text, '');
};

/** A PATCH of the boot override that must answer 204. */
export const patchBoot = async (
  service: TestService,
  id: string,
  boot: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<void> => {
  const reply = await service.request(systemUrl(id), {
    method: 'PATCH',
    user: 'admin',
    body: { Boot: boot },
    headers,
  });
  assert.equal(reply.status, 204, `PATCH ${JSON.stringify(boot)}: ${reply.text.slice(0, 300)}`);
};

/** Polls the system (each answer schema-validated) until `predicate` holds; returns that body.
 *  Writes answer 204 before the caches show them, so reads after a write wait for the event. */
export const waitForSystem = async (
  service: TestService,
  id: string,
  predicate: (system: any) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<any> => {
  let last: any;
  try {
    await service.waitFor(async () => {
      last = await service.getValid(systemUrl(id));
      return predicate(last);
    }, timeoutMs);
  } catch {
    assert.fail(
      `${id}: ${what} not reached; last PowerState ${last?.PowerState}, Boot ${JSON.stringify(last?.Boot)}`,
    );
  }
  return last;
};

/** Polls the simulated cluster until `check` holds. */
export const waitForCluster = async (
  service: TestService,
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> => {
  try {
    await service.waitFor(check, timeoutMs);
  } catch {
    assert.fail(`cluster: ${what} not reached within ${timeoutMs} ms`);
  }
};

/** bootOrder per device, as KubeVirt reads it from a VM template or a VMI spec. */
export interface BootOrder {
  readonly disks: Record<string, number>;
  readonly interfaces: Record<string, number>;
}

export const bootOrderOf = (spec: VirtualMachineInstance['spec']): BootOrder => {
  const devices = spec?.domain?.devices;
  const pick = (items: readonly { name: string; bootOrder?: number }[] = []) =>
    Object.fromEntries(
      items.flatMap((i) => (i.bootOrder === undefined ? [] : [[i.name, i.bootOrder]])),
    );
  return { disks: pick(devices?.disks), interfaces: pick(devices?.interfaces) };
};

export const templateOf = (vm: VirtualMachine): VirtualMachineInstance['spec'] =>
  vm.spec.template?.spec;

/** The device KubeVirt boots first (bootOrder 1), disk or interface. */
export const firstDevice = (spec: VirtualMachineInstance['spec']): string | undefined => {
  const order = bootOrderOf(spec);
  return [...Object.entries(order.disks), ...Object.entries(order.interfaces)].find(
    ([, n]) => n === 1,
  )?.[0];
};
