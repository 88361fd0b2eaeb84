// Processor resources under a system: one Processor per virtual socket, with the cores and threads
// KubeVirt gives it and the guest architecture (what Ironic's inspection reads for cpus and
// cpu_arch). Absent figures are left out, never invented (BEHAVIOUR.md "Inventory").
import type { VisibleSystem } from '../../auth/types.ts';
import type { SizingSource } from '../../backend/port.ts';
import type { ProcessorArchitecture, InstructionSet } from '../enums.ts';
import { RedfishError, resourceNotFound } from '../messages.ts';
import { toCollection, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem } from '../visibility.ts';

/** Redfish words for a KubeVirt architecture (GOARCH names); others (s390x) have none. */
const architectures: Readonly<
  Record<string, { architecture: ProcessorArchitecture; instructionSet: InstructionSet }>
> = {
  amd64: { architecture: 'x86', instructionSet: 'x86-64' },
  arm64: { architecture: 'ARM', instructionSet: 'ARM-A64' },
  ppc64le: { architecture: 'Power', instructionSet: 'PowerISA' },
  riscv64: { architecture: 'RISC-V', instructionSet: 'RV64' },
};

/** Where the figures were read, as the Description says it (docs/REDFISH.md). */
export const sizingSources: Readonly<Record<SizingSource, string>> = {
  topology: "the VM's CPU topology",
  instancetype: "the VM's instancetype",
  resources: "the VM's resource limits or requests",
  running: 'the running instance',
};

/** Processor Ids `CPU0`…, one per socket; none when the topology is unknown. */
const processorIds = (system: VisibleSystem): readonly string[] =>
  Array.from({ length: system.snapshot.cpu?.sockets ?? 0 }, (_, i) => `CPU${i}`);

export const toProcessor = (system: VisibleSystem, cpuId: string): RedfishBody => {
  const { cpu, cpuSource, architecture } = system.snapshot;
  const words = architecture === undefined ? undefined : architectures[architecture];
  return {
    '@odata.id': uris.processor(system.id, cpuId),
    '@odata.type': odataTypes.Processor,
    Id: cpuId,
    Name: `Virtual processor ${cpuId}`,
    ...(cpuSource === undefined
      ? {}
      : { Description: `Virtual CPU socket; sized from ${sizingSources[cpuSource]}` }),
    ProcessorType: 'CPU',
    Socket: cpuId,
    ...(words
      ? { ProcessorArchitecture: words.architecture, InstructionSet: words.instructionSet }
      : {}),
    ...(cpu ? { TotalCores: cpu.cores, TotalThreads: cpu.cores * cpu.threads } : {}),
    // A virtual socket exists whether or not the guest runs; it is part of the VM's definition.
    Status: { State: 'Enabled', Health: 'OK' },
  };
};

export const handleProcessorCollectionGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return {
    status: 200,
    body: toCollection(
      uris.processors(system.id),
      odataTypes.ProcessorCollection,
      'Processor Collection',
      processorIds(system).map((id) => uris.processor(system.id, id)),
    ),
  };
};

export const handleProcessorGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  const cpuId = pathParam(ctx, 'processorId');
  if (!processorIds(system).includes(cpuId))
    throw new RedfishError(resourceNotFound('Processor', cpuId));
  return { status: 200, body: toProcessor(system, cpuId) };
};
