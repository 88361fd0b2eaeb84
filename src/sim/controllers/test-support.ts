// Test harness for the simulated controllers: a store on a ManualClock with every controller
// running, helpers to call virt-api verbs and to let events and timers settle.
import assert from 'node:assert/strict';
import { ManualClock, seededRandom } from '../../util/clock.ts';
import { resolveClusterConfig, type ClusterOverrides } from '../cluster-config.ts';
import { createVm, type VmBlueprint } from '../scenarios.ts';
import { seedStorage, type StorageScenario } from '../storage-classes.ts';
import { createStore } from '../store.ts';
import {
  StatusError,
  type KubeObject,
  type ObjectStore,
  type SubresourceRegistry,
} from '../types.ts';
import { resolveDelays, type DelaysOption } from './delays.ts';
import type { ImportRule } from './import-source.ts';
import { Keys } from './kubevirt-objects.ts';
import { startControllers, type Controllers } from './start-controllers.ts';

export const namespace = 'ns';

export interface TestCluster {
  readonly clock: ManualClock;
  readonly store: ObjectStore;
  readonly controllers: Controllers;
  readonly errors: unknown[];
  /** Lets queued reconciles run, advances the clock by `ms`, and settles again. */
  advance(ms: number): Promise<void>;
  /** Calls a virt-api verb, e.g. `call('virtualmachines/start', 'vm1')`; returns the code. */
  call(verb: string, name: string, body?: unknown): number;
  /** Calls a verb that must fail and returns its StatusError. */
  callError(verb: string, name: string, body?: unknown): StatusError;
  createVm(blueprint: Omit<VmBlueprint, 'namespace'>): KubeObject;
  vm(name: string): KubeObject;
  vmi(name: string): KubeObject | undefined;
  close(): void;
}

export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const startTestCluster = (
  options: {
    cluster?: ClusterOverrides;
    delays?: DelaysOption;
    importRule?: ImportRule;
    storage?: StorageScenario;
    imageSizeBytes?: number;
  } = {},
): TestCluster => {
  const clock = new ManualClock();
  const cluster = resolveClusterConfig(options.cluster);
  const store = createStore({
    clock,
    random: seededRandom(7),
    emptyCdrom: cluster.declarativeHotplug,
    rebootPolicyField: cluster.rebootPolicyField,
    rebootPolicyGate: cluster.rebootPolicy,
  });
  store.create(Keys.namespace, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  seedStorage(store, options.storage ?? 'standard', cluster.cdi);
  const registry: SubresourceRegistry = new Map();
  const errors: unknown[] = [];
  const controllers = startControllers({
    store,
    clock,
    cluster,
    delays: resolveDelays(options.delays ?? 'realistic'),
    registry,
    onError: (error) => errors.push(error),
    ...(options.importRule ? { importRule: options.importRule } : {}),
    ...(options.imageSizeBytes !== undefined ? { imageSizeBytes: options.imageSizeBytes } : {}),
  });
  const call = (verb: string, name: string, body?: unknown): number => {
    const handler = registry.get(verb);
    assert.ok(handler, `verb ${verb} is registered`);
    return handler({ namespace, name, body });
  };
  return {
    clock,
    store,
    controllers,
    errors,
    advance: async (ms) => {
      await settle();
      await clock.advance(ms);
      await settle();
    },
    call,
    callError: (verb, name, body) => {
      try {
        call(verb, name, body);
      } catch (error) {
        assert.ok(error instanceof StatusError, `expected a StatusError, got ${String(error)}`);
        return error;
      }
      assert.fail(`${verb} on ${name} should have failed`);
    },
    createVm: (blueprint) => createVm(store, { namespace, ...blueprint }),
    vm: (name) => {
      const vm = store.get(Keys.vm, namespace, name);
      assert.ok(vm, `VM ${name} exists`);
      return vm;
    },
    vmi: (name) => store.get(Keys.vmi, namespace, name),
    close: () => controllers.close(),
  };
};

/** Typed reads of the status fields the tests look at. */
export const vmStatus = (vm: KubeObject) =>
  (vm.status ?? {}) as {
    printableStatus?: string;
    ready?: boolean;
    created?: boolean;
    stateChangeRequests?: { action: string; uid?: string; data?: Record<string, string> }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
export const vmiPhase = (vmi: KubeObject | undefined): string | undefined =>
  vmi ? ((vmi.status as { phase?: string } | undefined)?.phase ?? '') : undefined;
export const condition = (object: KubeObject | undefined, type: string) =>
  (
    (
      object?.status as
        | { conditions?: { type: string; status: string; reason?: string; message?: string }[] }
        | undefined
    )?.conditions ?? []
  ).find((c) => c.type === type);

/** Resolves once `holds()` is true, re-checking after every store write (for work that runs on
 *  real I/O, like a loopback download). */
export const waitFor = (store: ObjectStore, holds: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    if (holds()) return resolve();
    const unsubscribe = store.subscribe(() => {
      if (!holds()) return;
      unsubscribe();
      resolve();
    });
  });
