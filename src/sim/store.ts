// The simulator's object store: etcd plus the generic registry semantics of kube-apiserver
// (global resourceVersion, generation, finalizers, ownerReference garbage collection, admission).
import type { Clock } from '../util/clock.ts';
import type {
  DeleteOptions,
  KubeObject,
  ListResult,
  ObjectStore,
  StoreEvent,
  TypeKey,
  WatchEventType,
  WriteOptions,
} from './types.ts';
import { StatusError } from './types.ts';
import { copyJson as copy, deepFreeze, jsonEqual } from './json-values.ts';
import { applyBuiltinDefaults } from './builtin-defaults.ts';
import { builtinFieldErrors } from './builtin-validation.ts';
import { createObjectTable, objectKey } from './object-table.ts';
import type { ServedType } from './resource-types.ts';
import { apiVersionOf, qualifiedResource, servedTypes } from './resource-types.ts';
import {
  createSchemaValidator,
  defaultVmArchitecture,
  defaultVmOnCreate,
  invalid,
  randomUuid,
  strictDecodingError,
  requiredError,
  validateKubevirtVm,
  validateName,
} from './validation.ts';

/** Structural-schema pruning of the one VM field older releases lack (KubeVirt < v1.8 has no
 *  domain.rebootPolicy; kube-apiserver drops unknown fields of a CR silently). */
const pruneRebootPolicy = (vm: KubeObject): boolean => {
  const spec = vm.spec as
    { template?: { spec?: { domain?: Record<string, unknown> } } } | undefined;
  const domain = spec?.template?.spec?.domain;
  if (!domain || !('rebootPolicy' in domain)) return false;
  delete domain.rebootPolicy;
  return true;
};

export interface StoreOptions {
  readonly clock: Clock;
  /** How many events watches can resume from (etcd's compaction window); default 10,000. */
  readonly watchWindow?: number;
  /** Random source for uids, generateName suffixes and firmware UUIDs; default Math.random. */
  readonly random?: () => number;
  /** KubeVirt admits CD-ROM disks without a volume (DeclarativeHotplugVolumes); default true
   *  as in v1.9. */
  readonly emptyCdrom?: boolean;
  /** The VM CRD schema has spec.template.spec.domain.rebootPolicy (v1.8+); default true. */
  readonly rebootPolicyField?: boolean;
  /** Feature gate RebootPolicy is on, so the webhook admits the field; default true. */
  readonly rebootPolicyGate?: boolean;
  /** The cluster's default guest architecture the VM webhook fills in; default amd64. */
  readonly defaultArchitecture?: string;
  /** Told of every write whose fields were pruned or that the webhook denied. */
  readonly onAdmission?: (record: AdmissionRecord) => void;
}

/** A write the cluster did not take as sent: fields pruned silently, or denied by a webhook. */
export interface AdmissionRecord {
  readonly outcome: 'pruned' | 'denied';
  readonly typeKey: TypeKey;
  readonly namespace: string | undefined;
  readonly name: string;
  /** The fields pruned, or the webhook's message. */
  readonly detail: string;
}

type Sequenced = StoreEvent & { readonly rv: number };

/** RFC 3339 at second precision, as metav1.Time serialises. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// apimachinery's utilrand alphabet for generateName suffixes (no vowels, no confusable digits).
const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export const notFound = (type: ServedType, name: string): StatusError =>
  new StatusError('NotFound', `${qualifiedResource(type)} "${name}" not found`, {
    name,
    ...(type.group === '' ? {} : { group: type.group }),
    kind: type.resource,
  });

export const conflict = (type: ServedType, name: string, detail: string): StatusError =>
  new StatusError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${detail}`,
    { name, ...(type.group === '' ? {} : { group: type.group }), kind: type.resource },
  );

export const staleObjectDetail =
  'the object has been modified; please apply your changes to the latest version and try again';

/** The parts of an object whose change moves metadata.generation. */
const generationRelevant = (type: ServedType, object: KubeObject): unknown => {
  const relevant: Record<string, unknown> = { ...object };
  delete relevant.metadata;
  if (type.statusSubresource) delete relevant.status;
  return relevant;
};

export const createStore = (options: StoreOptions): ObjectStore => {
  const { clock } = options;
  const random = options.random ?? Math.random;
  const window = options.watchWindow ?? 10_000;
  const types = new Map(servedTypes.map((t) => [t.key, t]));
  const objects = createObjectTable(servedTypes.map((t) => t.key));
  const byUid = new Map<string, { key: TypeKey; namespace: string | undefined; name: string }>();
  /** Retained events are history[historyStart..]; the dead prefix is cut once it reaches the
   *  window, so trimming stays O(1) amortised instead of a shift() on every write. */
  const history: Sequenced[] = [];
  let historyStart = 0;
  const listeners = new Set<(event: StoreEvent) => void>();
  const pending: StoreEvent[] = [];
  const schemas = createSchemaValidator();
  let revision = 0;
  /** Highest resourceVersion no longer in history. */
  let compacted = 0;
  let dispatching = false;

  const typeOf = (key: TypeKey): ServedType => {
    const type = types.get(key);
    if (!type)
      throw new StatusError('NotFound', 'the server could not find the requested resource');
    return type;
  };
  /** Stored objects are frozen: reads hand out copies, or the object itself via listShared. */
  const put = (key: TypeKey, object: KubeObject): void => objects.put(key, object);
  const stored = (key: TypeKey, namespace: string | undefined, name: string) =>
    objects.get(key, objectKey(namespace, name));

  // Listeners may write from inside a callback; queueing keeps every listener seeing events in
  // resourceVersion order. Event objects are frozen: history and all listeners share them.
  const emit = (type: WatchEventType, key: TypeKey, object: KubeObject, previous?: KubeObject) => {
    const event: Sequenced = deepFreeze({
      type,
      typeKey: key,
      object,
      ...(previous ? { previous } : {}),
      rv: Number(object.metadata.resourceVersion),
    });
    history.push(event);
    if (history.length - historyStart > window) {
      compacted = history[historyStart]?.rv ?? compacted;
      historyStart += 1;
      if (historyStart >= window) {
        history.splice(0, historyStart);
        historyStart = 0;
      }
    }
    pending.push(event);
    if (dispatching) return;
    dispatching = true;
    for (let next = pending.shift(); next; next = pending.shift()) {
      for (const listener of [...listeners]) {
        try {
          listener(next);
        } catch (error) {
          // The write is committed; a failing listener is a bug to surface, not to roll back.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
    dispatching = false;
  };

  const stamp = (object: KubeObject): void => {
    revision += 1;
    object.metadata.resourceVersion = String(revision);
  };

  const admit = (type: ServedType, object: KubeObject, opts: WriteOptions | undefined): void => {
    if (opts?.skipValidation) return;
    const vmSpec = type.key === 'virtualmachines.kubevirt.io' && opts?.subresource !== 'status';
    const record = (outcome: AdmissionRecord['outcome'], detail: string) =>
      options.onAdmission?.({
        outcome,
        typeKey: type.key,
        namespace: object.metadata.namespace,
        name: object.metadata.name ?? '',
        detail,
      });
    if (vmSpec && options.rebootPolicyField === false && pruneRebootPolicy(object))
      record('pruned', 'spec.template.spec.domain.rebootPolicy');
    // Mutating admission runs before the object is validated.
    if (vmSpec) defaultVmArchitecture(object, options.defaultArchitecture ?? 'amd64');
    const pruned = schemas.validate(type, object);
    if (pruned.length > 0) {
      if (opts?.fieldValidation === 'Strict') throw strictDecodingError(type, pruned);
      record('pruned', pruned.join(', '));
      opts?.onPruned?.(pruned);
    }
    if (vmSpec) {
      try {
        validateKubevirtVm(object, {
          emptyCdrom: options.emptyCdrom ?? true,
          rebootPolicy: options.rebootPolicyGate ?? true,
        });
      } catch (error) {
        if (error instanceof StatusError) record('denied', error.message);
        throw error;
      }
    }
  };

  /** Defaulting and validation of built-in kinds (Secret, Service, Deployment, RBAC, ...). */
  const admitBuiltin = (
    type: ServedType,
    object: KubeObject,
    existing: KubeObject | undefined,
    opts: WriteOptions | undefined,
  ): void => {
    if (opts?.skipValidation || opts?.subresource === 'status') return;
    applyBuiltinDefaults(type.key, object, existing, {
      allocatedClusterIps: () =>
        new Set(
          objects
            .snapshot('services')
            .map((svc) => (svc.spec as { clusterIP?: string } | undefined)?.clusterIP ?? ''),
        ),
    });
    const errors = builtinFieldErrors(type.key, object, existing);
    if (errors.length > 0) throw invalid(type, object.metadata.name ?? '', errors);
  };

  const remove = (
    type: ServedType,
    existing: KubeObject,
    policy: DeleteOptions['propagationPolicy'],
  ) => {
    const { namespace, name = '', uid = '' } = existing.metadata;
    if (type.resource === 'namespaces') {
      // The namespace controller empties a deleted namespace before it goes away.
      for (const t of servedTypes.filter((s) => s.namespaced)) {
        for (const object of objects.snapshot(t.key)) {
          if (object.metadata.namespace === name) {
            deleteObject(t.key, name, object.metadata.name ?? '', {});
          }
        }
      }
    }
    if (policy === 'Foreground') collectDependents(uid, 'Foreground');
    if (policy === 'Orphan') orphanDependents(uid);
    objects.delete(type.key, objectKey(namespace, name));
    byUid.delete(uid);
    const gone = copy(existing);
    stamp(gone);
    emit('DELETED', type.key, deepFreeze(gone), existing);
    if (policy !== 'Foreground' && policy !== 'Orphan') collectDependents(uid, 'Background');
  };

  const typeOrder = servedTypes.map((t) => t.key);
  const dependentsOf = (uid: string) =>
    objects.dependents(uid, typeOrder).map(({ key, object }) => ({ type: typeOf(key), object }));

  /** The garbage collector: a dependent whose owners are all gone is deleted; one that still has
   *  a live owner only loses the dangling reference. */
  const collectDependents = (uid: string, policy: 'Background' | 'Foreground') => {
    for (const { type, object } of dependentsOf(uid)) {
      const others = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const { namespace, name = '' } = object.metadata;
      if (others.some((r) => byUid.has(r.uid))) {
        mutateObject(
          type.key,
          namespace,
          name,
          (d) => {
            d.metadata.ownerReferences = others;
          },
          { skipValidation: true },
        );
      } else if (stored(type.key, namespace, name)) {
        deleteObject(type.key, namespace, name, { propagationPolicy: policy });
      }
    }
  };

  const orphanDependents = (uid: string) => {
    for (const { type, object } of dependentsOf(uid)) {
      const others = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      mutateObject(
        type.key,
        object.metadata.namespace,
        object.metadata.name ?? '',
        (d) => {
          if (others.length > 0) d.metadata.ownerReferences = others;
          else delete d.metadata.ownerReferences;
        },
        { skipValidation: true },
      );
    }
  };

  const getObject = (key: TypeKey, namespace: string | undefined, name: string) => {
    const type = typeOf(key);
    return stored(key, type.namespaced ? namespace : undefined, name);
  };

  const createObject = (key: TypeKey, input: KubeObject, opts?: WriteOptions): KubeObject => {
    const type = typeOf(key);
    const object = copy(input);
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    const metadata = (object.metadata = { ...(object.metadata ?? {}) });
    if (!type.namespaced) delete metadata.namespace;
    let name = metadata.name ?? '';
    if (name === '' && metadata.generateName) {
      do {
        const suffix = Array.from(
          { length: 5 },
          () => suffixAlphabet[Math.floor(random() * suffixAlphabet.length)],
        ).join('');
        name = `${metadata.generateName}${suffix}`;
      } while (stored(key, metadata.namespace, name));
      metadata.name = name;
    }
    if (name === '') {
      throw invalid(type, '', [requiredError('metadata.name', 'name or generateName is required')]);
    }
    validateName(type, name);
    if (type.namespaced) {
      if (!metadata.namespace) {
        throw invalid(type, name, [requiredError('metadata.namespace')]);
      }
      const ns = stored('namespaces', undefined, metadata.namespace);
      if (!ns) throw notFound(typeOf('namespaces'), metadata.namespace);
    }
    if (stored(key, metadata.namespace, name)) {
      throw new StatusError(
        'AlreadyExists',
        `${qualifiedResource(type)} "${name}" already exists`,
        {
          name,
          ...(type.group === '' ? {} : { group: type.group }),
          kind: type.resource,
        },
      );
    }
    if (type.key === 'virtualmachines.kubevirt.io') defaultVmOnCreate(object, random);
    admitBuiltin(type, object, undefined, opts);
    admit(type, object, opts);
    metadata.uid = randomUuid(random);
    metadata.creationTimestamp = rfc3339(clock.now());
    metadata.generation = 1;
    delete metadata.deletionTimestamp;
    if (type.resource === 'namespaces') {
      object.spec = { finalizers: ['kubernetes'], ...(object.spec as object | undefined) };
      object.status = { phase: 'Active' };
    }
    if (opts?.dryRun) return copy(object);
    stamp(object);
    put(key, object);
    byUid.set(metadata.uid, { key, namespace: metadata.namespace, name });
    emit('ADDED', key, object);
    return copy(object);
  };

  /** `owned`: `input` is a private copy (mutate's draft) that may be stored without copying. */
  const updateObject = (
    key: TypeKey,
    input: KubeObject,
    opts?: WriteOptions,
    owned = false,
  ): KubeObject => {
    const type = typeOf(key);
    const name = input.metadata?.name ?? '';
    const namespace = type.namespaced ? input.metadata?.namespace : undefined;
    const existing = stored(key, namespace, name);
    if (!existing) throw notFound(type, name);
    const { resourceVersion, uid } = input.metadata;
    if (resourceVersion !== undefined && resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(type, name, staleObjectDetail);
    }
    if (uid !== undefined && uid !== existing.metadata.uid) {
      throw conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ''}`,
      );
    }
    let next: KubeObject;
    if (opts?.subresource === 'status') {
      next = copy(existing);
      if (input.status === undefined) delete next.status;
      else next.status = owned ? input.status : copy(input.status);
    } else {
      next = owned ? input : copy(input);
      next.apiVersion = existing.apiVersion;
      next.kind = existing.kind;
      // Fields the server owns; a status subresource makes status read-only here.
      const { uid, creationTimestamp, generation, namespace, deletionTimestamp } =
        existing.metadata;
      next.metadata = { ...next.metadata };
      Object.assign(next.metadata, { uid, creationTimestamp, generation });
      delete next.metadata.namespace;
      delete next.metadata.deletionTimestamp;
      Object.assign(next.metadata, type.namespaced ? { namespace } : {});
      Object.assign(next.metadata, deletionTimestamp ? { deletionTimestamp } : {});
      Object.assign(next.metadata, { resourceVersion: existing.metadata.resourceVersion });
      if (type.statusSubresource) {
        if (existing.status === undefined) delete next.status;
        else next.status = copy(existing.status);
      }
    }
    admitBuiltin(type, next, existing, opts);
    admit(type, next, opts);
    if (jsonEqual(next, existing)) return copy(existing);
    if (!jsonEqual(generationRelevant(type, next), generationRelevant(type, existing))) {
      next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    }
    if (opts?.dryRun) return copy(next);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      // The last finalizer is gone: the deferred deletion completes now.
      put(key, next);
      remove(type, next, 'Background');
      return copy(next);
    }
    stamp(next);
    put(key, next);
    emit('MODIFIED', key, next, existing);
    return copy(next);
  };

  const mutateObject = (
    key: TypeKey,
    namespace: string | undefined,
    name: string,
    mutate: (draft: KubeObject) => void,
    opts?: WriteOptions,
  ): KubeObject => {
    const type = typeOf(key);
    const existing = getObject(key, namespace, name);
    if (!existing) throw notFound(type, name);
    const draft = copy(existing);
    mutate(draft);
    // Identity and the precondition come from the stored object, whatever `mutate` did.
    Object.assign(draft.metadata, {
      name,
      resourceVersion: existing.metadata.resourceVersion,
      ...(type.namespaced ? { namespace } : {}),
    });
    return updateObject(key, draft, opts, true);
  };

  const deleteObject = (
    key: TypeKey,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): KubeObject => {
    const type = typeOf(key);
    const existing = getObject(key, namespace, name);
    if (!existing) throw notFound(type, name);
    const { uid, resourceVersion } = opts.preconditions ?? {};
    if (uid !== undefined && uid !== existing.metadata.uid) {
      throw conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ''}`,
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`,
      );
    }
    if ((existing.metadata.finalizers ?? []).length > 0) {
      // Finalizers defer the removal: the object only gains a deletionTimestamp (once).
      if (existing.metadata.deletionTimestamp) return copy(existing);
      const next = copy(existing);
      next.metadata.deletionTimestamp = rfc3339(clock.now());
      next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
      if (opts.dryRun) return next;
      stamp(next);
      put(key, next);
      emit('MODIFIED', key, next, existing);
      return copy(next);
    }
    const gone = copy(existing);
    if (!opts.dryRun) remove(type, existing, opts.propagationPolicy);
    if (type.resource === 'namespaces') {
      gone.metadata.deletionTimestamp = rfc3339(clock.now());
      gone.status = { phase: 'Terminating' };
    }
    return gone;
  };

  const eventsSince = (since: string): readonly StoreEvent[] => {
    const rv = Number(since);
    if (!/^\d+$/.test(since)) {
      throw new StatusError('BadRequest', `invalid resource version "${since}"`);
    }
    if (rv < compacted) {
      throw new StatusError('Expired', `too old resource version: ${rv} (${compacted + 1})`);
    }
    let lo = historyStart;
    let hi = history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((history[mid]?.rv ?? 0) <= rv) lo = mid + 1;
      else hi = mid;
    }
    return history.slice(lo);
  };

  const listShared = (key: TypeKey, namespace?: string): ListResult => {
    const type = typeOf(key);
    const items = objects.sorted(key, type.namespaced ? namespace : undefined);
    return { items, resourceVersion: String(revision) };
  };

  // Every cluster starts with these namespaces (kube-apiserver's system namespaces controller).
  for (const name of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
    createObject('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  return {
    types: () => servedTypes,
    typeFor: (key) => types.get(key),
    get: (key, namespace, name) => {
      const found = getObject(key, namespace, name);
      return found && copy(found);
    },
    list: (key, namespace): ListResult => {
      const shared = listShared(key, namespace);
      return { items: copy(shared.items), resourceVersion: shared.resourceVersion };
    },
    listShared,
    create: createObject,
    update: (key, object, opts) => updateObject(key, object, opts),
    mutate: mutateObject,
    delete: deleteObject,
    currentResourceVersion: () => String(revision),
    eventsSince,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
};
