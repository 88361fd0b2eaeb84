// VM status.printableStatus by virt-controller's precedence (fidelity 1.4; kubevirt-facts.json
// virtualMachinePrintableStatusPrecedence): the first predicate that holds wins.
import type { KubeObject } from '../types.ts';
import {
  findCondition,
  hasConditionStatus,
  isFinal,
  vmiStatusOf,
  type RunStrategy,
} from './kubevirt-objects.ts';

export interface PrintableStatusInput {
  readonly vm: KubeObject;
  readonly vmi: KubeObject | undefined;
  readonly strategy: RunStrategy;
  /** DataVolumes the template references (missing ones omitted). */
  readonly dataVolumes: readonly KubeObject[];
  /** The controller would create a VMI now if it could (run strategy or a Start request). */
  readonly startExpected: boolean;
}

type Predicate = (input: PrintableStatusInput) => boolean;

const vmiPhase = (vmi: KubeObject | undefined): string | undefined =>
  vmi ? (vmiStatusOf(vmi).phase ?? '') : undefined;
const dvStatus = (dv: KubeObject) =>
  (dv.status ?? {}) as {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string }[];
  };
const provisionedPhases = new Set(['Succeeded', 'PendingPopulation', 'WaitForFirstConsumer']);
const synchronizedReason = (vmi: KubeObject | undefined, reason: string): boolean => {
  const condition = vmi ? findCondition(vmiStatusOf(vmi).conditions, 'Synchronized') : undefined;
  return condition?.status === 'False' && condition.reason === reason;
};

const precedence: readonly [string, Predicate][] = [
  ['Terminating', ({ vm }) => vm.metadata.deletionTimestamp !== undefined],
  [
    'Stopping',
    ({ vmi }) => vmi !== undefined && !isFinal(vmi) && vmi.metadata.deletionTimestamp !== undefined,
  ],
  ['Migrating', () => false],
  [
    'Paused',
    ({ vmi }) =>
      vmiPhase(vmi) === 'Running' &&
      hasConditionStatus(vmi && vmiStatusOf(vmi).conditions, 'Paused', 'True'),
  ],
  ['Running', ({ vmi }) => vmiPhase(vmi) === 'Running'],
  ['ErrorPvcNotFound', ({ vmi }) => synchronizedReason(vmi, 'FailedPvcNotFound')],
  [
    'DataVolumeError',
    ({ dataVolumes }) =>
      dataVolumes.some((dv) => {
        const status = dvStatus(dv);
        const running = status.conditions?.find((c) => c.type === 'Running');
        return (
          status.phase === 'Failed' ||
          (running?.status === 'False' &&
            (running.reason === 'Error' || running.reason === 'ImagePullFailed'))
        );
      }),
  ],
  ['ErrorUnschedulable', () => false],
  [
    'Provisioning',
    ({ dataVolumes }) => dataVolumes.some((dv) => !provisionedPhases.has(dvStatus(dv).phase ?? '')),
  ],
  ['WaitingForVolumeBinding', () => false],
  ['ErrImagePull', ({ vmi }) => synchronizedReason(vmi, 'ErrImagePull')],
  ['ImagePullBackOff', ({ vmi }) => synchronizedReason(vmi, 'ImagePullBackOff')],
  [
    'Starting',
    ({ vmi, startExpected }) =>
      vmi === undefined
        ? startExpected
        : ['', 'Pending', 'Scheduling', 'Scheduled'].includes(vmiPhase(vmi) ?? ''),
  ],
  ['CrashLoopBackOff', () => false],
  ['Stopped', ({ vmi, startExpected }) => (vmi !== undefined ? isFinal(vmi) : !startExpected)],
  ['WaitingForReceiver', ({ vmi, strategy }) => strategy === 'WaitAsReceiver' && vmi === undefined],
];

export const printableStatus = (input: PrintableStatusInput): string =>
  precedence.find(([, holds]) => holds(input))?.[0] ?? 'Unknown';
