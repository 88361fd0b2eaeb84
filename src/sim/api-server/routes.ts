// URL → what it addresses: a collection, an object (or its /status), or a
// subresources.kubevirt.io verb; undefined for paths the server does not serve.
import type { ServedType } from '../resource-types.ts';
import { badRequest } from './status.ts';

export type Route =
  | { readonly kind: 'collection'; readonly type: ServedType; readonly namespace?: string }
  | {
      readonly kind: 'object';
      readonly type: ServedType;
      readonly namespace?: string;
      readonly name: string;
      /** `token`: serviceaccounts/<name>/token, the TokenRequest subresource. */
      readonly subresource?: 'status' | 'token';
    }
  | {
      readonly kind: 'verb';
      readonly resource: 'virtualmachines' | 'virtualmachineinstances';
      readonly namespace: string;
      readonly name: string;
      /** e.g. `start`, `vnc/screenshot`. */
      readonly verb: string;
    };

export const subresourceGroup = 'subresources.kubevirt.io';

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid URL escape in path segment "${segment}"`);
  }
};

export const resolveRoute = (types: readonly ServedType[], pathname: string): Route | undefined => {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decode);
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (segments[0] === 'api') {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    version = segments[2];
    rest = segments.slice(3);
  } else return undefined;
  if (group === subresourceGroup && version === 'v1') {
    const [ns, namespace, resource, name, ...verb] = rest;
    if (
      ns === 'namespaces' &&
      namespace !== undefined &&
      (resource === 'virtualmachines' || resource === 'virtualmachineinstances') &&
      name !== undefined &&
      verb.length > 0
    ) {
      return { kind: 'verb', resource, namespace, name, verb: verb.join('/') };
    }
    return undefined;
  }
  const find = (resource: string | undefined) =>
    types.find((t) => t.group === group && t.version === version && t.resource === resource);
  let namespace: string | undefined;
  let resourcePart: string[] = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3 && find(rest[2])?.namespaced) {
    namespace = rest[1];
    resourcePart = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = resourcePart;
  const type = find(resource);
  if (!type || extra.length > 0) return undefined;
  if (name === undefined) {
    return namespace === undefined
      ? { kind: 'collection', type }
      : { kind: 'collection', type, namespace };
  }
  if (type.namespaced && namespace === undefined) return undefined;
  const served =
    subresource === undefined ||
    (subresource === 'status' && type.statusSubresource) ||
    (subresource === 'token' && type.key === 'serviceaccounts');
  if (!served) return undefined;
  return {
    kind: 'object',
    type,
    name,
    ...(namespace === undefined ? {} : { namespace }),
    ...(subresource === 'status' || subresource === 'token' ? { subresource } : {}),
  };
};
