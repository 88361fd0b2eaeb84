// What a client's step did to the cluster, read two ways: from the simulator's object store, and
// with kubectl against the simulator's API server (as an operator would look).
import assert from 'node:assert/strict';
import type { Simulator } from '../../src/sim/simulator.ts';
import type { KubeObject } from '../../src/sim/types.ts';
import { run, succeeded } from './programs.ts';

const Keys = {
  vm: 'virtualmachines.kubevirt.io',
  vmi: 'virtualmachineinstances.kubevirt.io',
  dv: 'datavolumes.cdi.kubevirt.io',
} as const;

/** The dedicated virtual-media CD-ROM (BEHAVIOUR.md "Virtual media"). */
export const mediaDisk = 'redfish-cd';
const vmUidLabel = 'kubevirt-redfish.io/vm-uid';

interface Disk {
  name: string;
  bootOrder?: number;
  cdrom?: unknown;
}
interface Volume {
  name: string;
  dataVolume?: { name: string };
}
interface DomainSpec {
  domain?: {
    devices?: { disks?: Disk[] };
    rebootPolicy?: string;
    firmware?: { bootloader?: { efi?: unknown; bios?: unknown } };
  };
  volumes?: Volume[];
}

export interface VmView {
  readonly uid: string | undefined;
  readonly runStrategy: string | undefined;
  /** Disk name → bootOrder, in the VM template. */
  readonly bootOrder: Readonly<Record<string, number | undefined>>;
  /** The DataVolume the media CD-ROM reads, when a medium is attached. */
  readonly mediaVolume: string | undefined;
  readonly rebootPolicy: string | undefined;
  readonly bootAnnotation: string | undefined;
  /** The firmware the next VMI gets: 'efi' (UEFI) or 'bios' (Legacy). */
  readonly firmware: 'efi' | 'bios' | undefined;
}

export interface VmiView {
  readonly uid: string;
  readonly phase: string | undefined;
  readonly bootOrder: Readonly<Record<string, number | undefined>>;
  readonly rebootPolicy: string | undefined;
  readonly agentConnected: boolean;
}

const orderOf = (spec: DomainSpec | undefined): Record<string, number | undefined> =>
  Object.fromEntries((spec?.domain?.devices?.disks ?? []).map((d) => [d.name, d.bootOrder]));

const firmwareOf = (spec: DomainSpec | undefined): 'efi' | 'bios' | undefined => {
  const bootloader = spec?.domain?.firmware?.bootloader;
  if (bootloader?.efi) return 'efi';
  return bootloader?.bios ? 'bios' : undefined;
};

/** The device a machine boots first: the lowest bootOrder. */
export const firstBoot = (
  order: Readonly<Record<string, number | undefined>>,
): string | undefined =>
  Object.entries(order)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .sort((a, b) => a[1] - b[1])[0]?.[0];

export class ClusterView {
  constructor(
    private readonly sim: Simulator,
    readonly namespace: string,
    readonly name: string,
  ) {}

  vmObject(): KubeObject {
    const vm = this.sim.store.get(Keys.vm, this.namespace, this.name);
    assert.ok(vm, `VirtualMachine ${this.namespace}/${this.name} exists`);
    return vm;
  }

  vm(): VmView {
    const vm = this.vmObject();
    const spec = vm.spec as { runStrategy?: string; template?: { spec?: DomainSpec } };
    const template = spec.template?.spec;
    return {
      uid: vm.metadata.uid,
      runStrategy: spec.runStrategy,
      bootOrder: orderOf(template),
      mediaVolume: template?.volumes?.find((v) => v.name === mediaDisk)?.dataVolume?.name,
      rebootPolicy: template?.domain?.rebootPolicy,
      bootAnnotation: vm.metadata.annotations?.['kubevirt-redfish.io/boot'],
      firmware: firmwareOf(template),
    };
  }

  vmi(): VmiView | undefined {
    const vmi = this.sim.store.get(Keys.vmi, this.namespace, this.name);
    if (!vmi) return undefined;
    const status = vmi.status as
      { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
    const spec = vmi.spec as DomainSpec | undefined;
    return {
      uid: vmi.metadata.uid ?? '',
      phase: status?.phase,
      bootOrder: orderOf(spec),
      rebootPolicy: spec?.domain?.rebootPolicy,
      agentConnected:
        status?.conditions?.some((c) => c.type === 'AgentConnected' && c.status === 'True') ??
        false,
    };
  }

  /** The DataVolumes the service made for this VM's virtual media. */
  mediaDataVolumes(): KubeObject[] {
    const uid = this.vmObject().metadata.uid;
    return this.sim.store
      .list(Keys.dv, this.namespace)
      .items.filter((dv) => dv.metadata.labels?.[vmUidLabel] === uid);
  }

  /** Resolves once `accept` holds for `read()`; the error shows the last value. */
  async until<T>(
    read: () => T,
    accept: (value: T) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = read();
      if (accept(value)) return value;
      if (Date.now() > deadline)
        assert.fail(
          `${this.namespace}/${this.name}: ${what} did not happen; last: ${JSON.stringify(value)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** kubectl against the simulator, through the kubeconfig it writes. */
export class Kubectl {
  constructor(
    private readonly command: string,
    private readonly kubeconfig: string,
  ) {}

  async jsonpath(resource: string, namespace: string, name: string, path: string): Promise<string> {
    const result = succeeded(
      await run(this.command, [
        '--kubeconfig',
        this.kubeconfig,
        '--request-timeout=20s',
        'get',
        resource,
        name,
        '--namespace',
        namespace,
        '--output',
        `jsonpath=${path}`,
      ]),
    );
    return result.stdout;
  }

  /** Disk name → bootOrder of a VM's template or of a VMI, as kubectl prints them. */
  async bootOrder(
    kind: 'vm' | 'vmi',
    namespace: string,
    name: string,
  ): Promise<Record<string, number | undefined>> {
    const disks =
      kind === 'vm' ? '.spec.template.spec.domain.devices.disks' : '.spec.domain.devices.disks';
    const printed = await this.jsonpath(
      kind,
      namespace,
      name,
      `{range ${disks}[*]}{.name}={.bootOrder}{"\\n"}{end}`,
    );
    return Object.fromEntries(
      printed
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [disk = '', order = ''] = line.split('=');
          return [disk, order === '' ? undefined : Number(order)];
        }),
    );
  }

  /** Names of the objects of `resource` carrying `selector`. */
  async names(resource: string, namespace: string, selector: string): Promise<string[]> {
    const result = succeeded(
      await run(this.command, [
        '--kubeconfig',
        this.kubeconfig,
        '--request-timeout=20s',
        'get',
        resource,
        '--namespace',
        namespace,
        '--selector',
        selector,
        '--output',
        'jsonpath={.items[*].metadata.name}',
      ]),
    );
    return result.stdout.split(' ').filter(Boolean);
  }
}

export const vmUidSelector = (uid: string): string => `${vmUidLabel}=${uid}`;
