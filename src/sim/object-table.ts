// The store's tables: frozen objects by type and "<namespace>/<name>", with the two indexes that
// keep reads from growing with the cluster: keys kept sorted for lists (one namespace is one
// contiguous range) and dependents by owner uid for garbage collection.
import { deepFreeze } from './json-values.ts';
import type { KubeObject, TypeKey } from './types.ts';

export const objectKey = (namespace: string | undefined, name: string): string =>
  `${namespace ?? ''}/${name}`;

const keyOf = (object: KubeObject): string =>
  objectKey(object.metadata.namespace, object.metadata.name ?? '');

const ownerUids = (object: KubeObject | undefined): readonly string[] =>
  object?.metadata.ownerReferences?.map((r) => r.uid) ?? [];

export interface Dependent {
  readonly key: TypeKey;
  readonly object: KubeObject;
}

export interface ObjectTable {
  get(key: TypeKey, objectKey: string): KubeObject | undefined;
  /** Stores `object` (frozen from now on) under its namespace/name. */
  put(key: TypeKey, object: KubeObject): void;
  delete(key: TypeKey, objectKey: string): void;
  /** Objects of a type in insertion order (a snapshot: callers may write while iterating). */
  snapshot(key: TypeKey): KubeObject[];
  /** Objects of a type sorted by namespace/name, optionally of one namespace only. */
  sorted(key: TypeKey, namespace?: string): KubeObject[];
  /** Objects with an ownerReference to `uid`, in the order of `typeOrder`. */
  dependents(uid: string, typeOrder: readonly TypeKey[]): Dependent[];
}

export const createObjectTable = (keys: readonly TypeKey[]): ObjectTable => {
  const tables = new Map<TypeKey, Map<string, KubeObject>>(keys.map((k) => [k, new Map()]));
  /** Sorted object keys per type; dropped when a key appears or goes (updates keep it). */
  const sortedKeys = new Map<TypeKey, string[]>();
  /** owner uid → type → object keys of its dependents. */
  const byOwner = new Map<string, Map<TypeKey, Set<string>>>();

  const table = (key: TypeKey): Map<string, KubeObject> => {
    let found = tables.get(key);
    if (!found) tables.set(key, (found = new Map<string, KubeObject>()));
    return found;
  };

  const reindexOwners = (
    key: TypeKey,
    at: string,
    before: KubeObject | undefined,
    after: KubeObject | undefined,
  ): void => {
    const was = ownerUids(before);
    const now = ownerUids(after);
    for (const uid of was) {
      if (now.includes(uid)) continue;
      const ofType = byOwner.get(uid)?.get(key);
      ofType?.delete(at);
      if (ofType?.size === 0) byOwner.get(uid)?.delete(key);
      if (byOwner.get(uid)?.size === 0) byOwner.delete(uid);
    }
    for (const uid of now) {
      if (was.includes(uid)) continue;
      let ofOwner = byOwner.get(uid);
      if (!ofOwner) byOwner.set(uid, (ofOwner = new Map<TypeKey, Set<string>>()));
      let ofType = ofOwner.get(key);
      if (!ofType) ofOwner.set(key, (ofType = new Set<string>()));
      ofType.add(at);
    }
  };

  const sortedKeysOf = (key: TypeKey): string[] => {
    let sorted = sortedKeys.get(key);
    if (!sorted) {
      // Default sort compares UTF-16 code units, the order of `<` on strings.
      sorted = [...table(key).keys()].sort();
      sortedKeys.set(key, sorted);
    }
    return sorted;
  };

  /** Index of the first key >= `prefix`. */
  const lowerBound = (sorted: readonly string[], prefix: string): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] ?? '') < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  return {
    get: (key, at) => tables.get(key)?.get(at),
    put: (key, object) => {
      const objects = table(key);
      const at = keyOf(object);
      const before = objects.get(at);
      if (!before) sortedKeys.delete(key);
      reindexOwners(key, at, before, object);
      objects.set(at, deepFreeze(object));
    },
    delete: (key, at) => {
      const objects = table(key);
      const before = objects.get(at);
      if (!before) return;
      objects.delete(at);
      sortedKeys.delete(key);
      reindexOwners(key, at, before, undefined);
    },
    snapshot: (key) => [...table(key).values()],
    sorted: (key, namespace) => {
      const objects = table(key);
      const sorted = sortedKeysOf(key);
      const items: KubeObject[] = [];
      // Namespaces hold no "/", so one namespace's keys share the prefix "<namespace>/".
      const prefix = namespace === undefined ? '' : objectKey(namespace, '');
      for (let i = lowerBound(sorted, prefix); i < sorted.length; i++) {
        const at = sorted[i] ?? '';
        if (!at.startsWith(prefix)) break;
        const object = objects.get(at);
        if (object) items.push(object);
      }
      return items;
    },
    dependents: (uid, typeOrder) => {
      const ofOwner = byOwner.get(uid);
      if (!ofOwner) return [];
      return typeOrder.flatMap((key) =>
        [...(ofOwner.get(key) ?? [])].flatMap((at) => {
          const object = tables.get(key)?.get(at);
          return object ? [{ key, object }] : [];
        }),
      );
    },
  };
};
