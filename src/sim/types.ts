// The contract between the simulator's object store (store.ts), its HTTP API server
// (api-server/) and its simulated controllers (controllers/): objects, resource types, errors.

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [field: string]: unknown;
}

/** A served resource type, e.g. kubevirt.io/v1 virtualmachines. */
export interface ResourceType {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural lower-case name used in URLs. */
  readonly resource: string;
  readonly kind: string;
  readonly listKind: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /** True when status is only writable through the /status subresource (CRD status subresource). */
  readonly statusSubresource: boolean;
  /** True for custom resources: strategic-merge patch answers 415 for them. */
  readonly custom: boolean;
  readonly categories?: readonly string[];
}

/** Key of a resource type in the store: `<resource>.<group>` or `<resource>` for core. */
export type TypeKey = string;

export const typeKey = (type: Pick<ResourceType, 'group' | 'resource'>): TypeKey =>
  type.group === '' ? type.resource : `${type.resource}.${type.group}`;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly typeKey: TypeKey;
  /** The object after the change (for DELETED: its last state, with a new resourceVersion). */
  readonly object: KubeObject;
  /** The object before the change (absent for ADDED). */
  readonly previous?: KubeObject;
}

/** Kubernetes Status reasons the simulator uses, with their HTTP codes. */
export const StatusReasons = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const;
export type StatusReason = keyof typeof StatusReasons;

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** A failure that the API server renders as a Kubernetes Status body. */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly code: number;
  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details?: {
      name?: string;
      group?: string;
      kind?: string;
      causes?: StatusCause[];
      retryAfterSeconds?: number;
    },
    code?: number,
  ) {
    super(message);
    this.code = code ?? StatusReasons[reason];
  }
}

/** Options of a delete, as the API's DeleteOptions carries them. */
export interface DeleteOptions {
  /** Background (default): owner first, then dependents; Foreground: dependents first;
   *  Orphan: dependents keep existing without the ownerReference. */
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** 409 Conflict when the stored object's uid / resourceVersion differ. */
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  /** dryRun=All: the answer of the delete, with nothing removed. */
  readonly dryRun?: boolean;
}

export interface ListResult {
  readonly items: readonly KubeObject[];
  readonly resourceVersion: string;
}

export interface WriteOptions {
  /** Write through the status subresource: only `.status` changes, generation does not move. */
  readonly subresource?: 'status';
  /** Skip schema validation (controllers writing status they own). */
  readonly skipValidation?: boolean;
  /** dryRun=All: admitted and answered as if stored, but nothing is stored or emitted (a
   *  created object gets a uid and timestamp but no resourceVersion, as the real server's). */
  readonly dryRun?: boolean;
}

/**
 * The simulator's object store. All methods are synchronous and atomic; returned objects are
 * deep copies the caller may keep. Every write bumps one global resourceVersion counter and
 * emits exactly one StoreEvent. Errors are thrown as StatusError.
 */
export interface ObjectStore {
  /** The resource types this store serves. */
  types(): readonly ResourceType[];
  typeFor(key: TypeKey): ResourceType | undefined;
  get(key: TypeKey, namespace: string | undefined, name: string): KubeObject | undefined;
  list(key: TypeKey, namespace?: string): ListResult;
  /** Like list(), but the items are the store's own frozen objects, not copies: for read paths
   *  that only serialise or inspect (the API server's lists and watches). */
  listShared(key: TypeKey, namespace?: string): ListResult;
  /** Assigns uid, creationTimestamp, resourceVersion, generation (1), name from generateName. */
  create(key: TypeKey, object: KubeObject, options?: WriteOptions): KubeObject;
  /** Replaces an object; 409 Conflict when metadata.resourceVersion is set and stale. Bumps
   *  generation when spec changes (unless options.subresource === 'status'). */
  update(key: TypeKey, object: KubeObject, options?: WriteOptions): KubeObject;
  /** Read-modify-write in one step, for controllers: `mutate` receives a copy to change in place. */
  mutate(
    key: TypeKey,
    namespace: string | undefined,
    name: string,
    mutate: (draft: KubeObject) => void,
    options?: WriteOptions,
  ): KubeObject;
  /** Deletes an object (or marks it with deletionTimestamp while finalizers remain), then
   *  garbage-collects objects whose ownerReferences point at it. */
  delete(
    key: TypeKey,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): KubeObject;
  /** The current global resourceVersion. */
  currentResourceVersion(): string;
  /** Events with resourceVersion greater than `sinceResourceVersion`, oldest first; throws
   *  StatusError Expired (410) when that version is older than the retained window. */
  eventsSince(sinceResourceVersion: string): readonly StoreEvent[];
  /** Called synchronously after every write, in order. Returns an unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

/** Handles one subresources.kubevirt.io verb; registered with the API server by the simulated
 *  virt-api. Returns the HTTP code to answer with an empty body, or throws StatusError. */
export type SubresourceHandler = (request: {
  readonly namespace: string;
  readonly name: string;
  /** Parsed JSON body, or undefined when the body was empty. */
  readonly body: unknown;
}) => number;

/** Registry key: `<virtualmachines|virtualmachineinstances>/<verb>`. */
export type SubresourceRegistry = Map<string, SubresourceHandler>;
