// Fixtures of the scope and authentication suites: VM snapshot literals (only ref and labels
// matter to scope) and a read-only VmBackend over them that counts its cache reads.
import type { VmBackend, VmRef, VmSnapshot } from '../../src/backend/port.ts';

/** The label the test configs' vm_selector asks for. */
export const redfishEnabled: Readonly<Record<string, string>> = { 'redfish-enabled': 'true' };

export const vmSnapshot = (
  namespace: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): VmSnapshot => ({
  ref: { namespace, name },
  labels,
  uuid: `uuid-${namespace}-${name}`,
  powerState: 'Off',
  health: 'OK',
  platformStatus: 'Stopped',
  boot: { target: 'None', enabled: 'Disabled', mode: 'UEFI' },
  bootTargets: ['None', 'Hdd'],
  nics: [],
  disks: [],
  indicatorLed: 'Off',
  efiVarsPersistent: false,
  media: { state: 'Empty', inserted: false, writeProtected: true, pendingRestart: false },
  version: '1',
  createdAt: '2026-01-01T00:00:00Z',
});

/** TEST DOUBLE: a VmBackend over literal snapshots, counting cache reads; writes are not used. */
export const snapshotBackend = (vms: readonly VmSnapshot[]) => {
  const counts = { listVms: 0, getVm: 0 };
  const backend: VmBackend = {
    capabilities: { nmi: false, cdromHotplug: false, rebootPolicyTerminate: false },
    isReady: () => true,
    listVms(namespace) {
      counts.listVms++;
      return vms
        .filter((v) => v.ref.namespace === namespace)
        .sort((a, b) => a.ref.name.localeCompare(b.ref.name));
    },
    getVm(ref: VmRef) {
      counts.getVm++;
      return vms.find((v) => v.ref.namespace === ref.namespace && v.ref.name === ref.name);
    },
    reset: () => Promise.reject(new Error('not used')),
    setBoot: () => Promise.reject(new Error('not used')),
    setIndicatorLed: () => Promise.reject(new Error('not used')),
    setSecureBoot: () => Promise.reject(new Error('not used')),
    insertMedia: () => Promise.reject(new Error('not used')),
    ejectMedia: () => Promise.reject(new Error('not used')),
  };
  return { backend, counts };
};
