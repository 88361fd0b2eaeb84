// Status errors as virt-api builds them: with the *singular* resource name
// (`virtualmachine.kubevirt.io "vm1" not found`), unlike the apiserver's plural (fidelity 2.1).
import { StatusError } from '../types.ts';

export type SubresourceTarget = 'virtualmachine' | 'virtualmachineinstance';

const group = 'kubevirt.io';

export const notFound = (resource: SubresourceTarget, name: string): StatusError =>
  new StatusError('NotFound', `${resource}.${group} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });

export const conflict = (resource: SubresourceTarget, name: string, message: string): StatusError =>
  new StatusError(
    'Conflict',
    `Operation cannot be fulfilled on ${resource}.${group} "${name}": ${message}`,
    {
      name,
      group,
      kind: resource,
    },
  );

export const forbidden = (
  resource: SubresourceTarget,
  name: string,
  message: string,
): StatusError =>
  new StatusError('Forbidden', `${resource}.${group} "${name}" is forbidden: ${message}`, {
    name,
    group,
    kind: resource,
  });

export const badRequest = (message: string): StatusError => new StatusError('BadRequest', message);

export const internalError = (message: string): StatusError =>
  new StatusError('InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });

/** The webhook denial shape for invalid hotplug requests (fidelity 6.5, 422 Invalid). */
export const webhookDenied = (webhook: string, message: string): StatusError =>
  new StatusError('Invalid', `admission webhook "${webhook}" denied the request: ${message}`, {
    causes: [{ reason: 'FieldValueInvalid', message }],
  });

/** What virt-api reports when its JSON-patch `test` op fails (a concurrent change). */
export const jsonPatchTestError =
  'jsonpatch test operation does not apply: doc is not equal to the test value';
