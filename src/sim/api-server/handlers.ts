// The REST verbs on resources (get, list/watch, create, update, patch, delete, deletecollection)
// and the subresources.kubevirt.io verbs, each rendered as kube-apiserver / virt-api answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../util/clock.ts';
import type { Faults } from '../faults.ts';
import type { DeleteOptions, KubeObject, ObjectStore, SubresourceRegistry } from '../types.ts';
import { StatusError } from '../types.ts';
import type { ServedType } from '../resource-types.ts';
import { apiVersionOf, qualifiedKind, servedTypes } from '../resource-types.ts';
import { conflict, notFound, staleObjectDetail } from '../store.ts';
import { listBody } from './list.ts';
import { applyPatch, patchKindFor } from './patch.ts';
import type { Negotiated } from './request.ts';
import { bodyMediaTypes, contentType, decodeBody, negotiate, readBody, send } from './request.ts';
import type { Route } from './routes.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { badRequest, deletedStatus, methodNotAllowed, unknownPath } from './status.ts';
import { display, toTable } from './table.ts';
import type { TokenIssuer } from './service-account-tokens.ts';
import { handleTokenRequest } from './token-request.ts';
import type { WatchHub } from './watch.ts';
import { unknownFields } from './unknown-fields.ts';
import { writeOptions } from './write-options.ts';

export interface ApiContext {
  readonly store: ObjectStore;
  readonly subresources: SubresourceRegistry;
  readonly faults: Faults | undefined;
  readonly clock: Clock;
  readonly watches: WatchHub;
  /** Resource versions below this are treated as compacted (fault switch). */
  readonly expiredThrough: () => number;
  readonly tokens: TokenIssuer;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The injected write failure (faults.failNextWrites), as the real server would word it. */
const injectedFailure = (ctx: ApiContext, type: ServedType, name: string): void => {
  const code = ctx.faults?.takeWriteFailure();
  if (code === undefined) return;
  if (code === 409) throw conflict(type, name, staleObjectDetail);
  const reasons: Record<number, StatusError['reason']> = {
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  throw new StatusError(
    reasons[code] ?? 'InternalError',
    `injected failure for ${type.resource} "${name}"`,
    {},
    code,
  );
};

const warnings = (type: ServedType, object: KubeObject): Record<string, string> =>
  type.key === 'virtualmachines.kubevirt.io' &&
  isRecord(object.spec) &&
  object.spec.running !== undefined
    ? { Warning: '299 - "spec.running is deprecated, please use spec.runStrategy instead."' }
    : {};

const readObject = async (req: IncomingMessage, type: ServedType): Promise<KubeObject> => {
  const accepted = bodyMediaTypes(apiVersionOf(type), type.kind);
  const body = decodeBody(await readBody(req), contentType(req), accepted);
  if (!isRecord(body)) throw badRequest("Object 'Kind' is missing in the request body");
  const expected = apiVersionOf(type);
  if (body.apiVersion !== undefined && body.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${display(body.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (body.kind !== undefined && body.kind !== type.kind) {
    throw badRequest(
      `${display(body.kind)} in version "${type.version}" cannot be handled as a ${type.kind}`,
    );
  }
  const metadata = isRecord(body.metadata) ? body.metadata : {};
  return { ...body, apiVersion: expected, kind: type.kind, metadata };
};

const checkIdentity = (route: Extract<Route, { kind: 'object' }>, object: KubeObject): void => {
  if (object.metadata.name !== undefined && object.metadata.name !== route.name) {
    throw badRequest(
      `the name of the object (${object.metadata.name}) does not match the name on the URL (${route.name})`,
    );
  }
  if (
    route.namespace !== undefined &&
    object.metadata.namespace !== undefined &&
    object.metadata.namespace !== route.namespace
  ) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  object.metadata.name = route.name;
  if (route.namespace !== undefined) object.metadata.namespace = route.namespace;
};

const render = (
  ctx: ApiContext,
  type: ServedType,
  object: KubeObject,
  negotiated: Negotiated,
): unknown =>
  negotiated.table
    ? toTable(type, [object], negotiated.table, {
        now: ctx.clock.now(),
        listMeta: { resourceVersion: object.metadata.resourceVersion },
      })
    : object;

/** DeleteOptions from the body (kubectl sends dryRun there) or else the query. */
const deleteOptions = (
  body: Buffer,
  query: URLSearchParams,
  req: IncomingMessage,
): DeleteOptions => {
  const parsed =
    body.length === 0
      ? {}
      : decodeBody(body, contentType(req), bodyMediaTypes('meta.k8s.io/v1', 'DeleteOptions'));
  const options = isRecord(parsed) ? parsed : {};
  const bodyDryRun =
    body.length === 0
      ? undefined
      : Array.isArray(options.dryRun)
        ? options.dryRun.map((v) => String(v))
        : [];
  const { dryRun } = writeOptions('Delete', query, { bodyDryRun });
  let policy = query.get('propagationPolicy') ?? options.propagationPolicy;
  if (policy === undefined && options.orphanDependents === true) policy = 'Orphan';
  if (
    policy !== undefined &&
    policy !== 'Background' &&
    policy !== 'Foreground' &&
    policy !== 'Orphan'
  ) {
    throw badRequest(
      `Unsupported value: "${display(policy)}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const pre = isRecord(options.preconditions) ? options.preconditions : {};
  return {
    dryRun,
    ...(policy === undefined ? {} : { propagationPolicy: policy }),
    preconditions: {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    },
  };
};

const handleCollection = async (
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Extract<Route, { kind: 'collection' }>,
  query: URLSearchParams,
): Promise<void> => {
  const { type, namespace } = route;
  const method = req.method ?? 'GET';
  if (method === 'GET') {
    const negotiated = negotiate(req, query, true);
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(type, query.get('fieldSelector'));
    const matches = (o: KubeObject) => labels(o) && fields(o);
    const watch = query.get('watch');
    if (watch === 'true' || watch === '1') {
      const sendInitialEvents = query.get('sendInitialEvents') === 'true';
      const bookmarks = query.get('allowWatchBookmarks') === 'true';
      if (
        sendInitialEvents &&
        (!bookmarks || query.get('resourceVersionMatch') !== 'NotOlderThan')
      ) {
        throw new StatusError(
          'Invalid',
          'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan and allowWatchBookmarks to true',
        );
      }
      const timeout = Number(query.get('timeoutSeconds') ?? NaN);
      ctx.watches.start(res, {
        type,
        namespace,
        resourceVersion: query.get('resourceVersion'),
        matches,
        bookmarks,
        // Without timeoutSeconds the server ends a watch after its min-request-timeout (1800 s).
        timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : 1800,
        sendInitialEvents,
        table: negotiated.table,
      });
      return;
    }
    const body = listBody(ctx.store, {
      type,
      namespace,
      matches,
      query,
      negotiated,
      now: ctx.clock.now(),
      expiredThrough: ctx.expiredThrough(),
    });
    send(res, 200, body, negotiated.format);
    return;
  }
  if (method === 'POST' && (namespace !== undefined || !type.namespaced)) {
    const { dryRun } = writeOptions('Create', query);
    const negotiated = negotiate(req, query, false);
    const object = await readObject(req, type);
    const metadata = object.metadata;
    if (namespace !== undefined) {
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata.namespace = namespace;
    }
    if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== '') {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    // Server-owned fields are reset on create; a status subresource makes status unwritable.
    for (const field of [
      'uid',
      'creationTimestamp',
      'generation',
      'deletionTimestamp',
      'resourceVersion',
    ]) {
      delete metadata[field];
    }
    if (type.statusSubresource) delete object.status;
    injectedFailure(ctx, type, metadata.name ?? metadata.generateName ?? '');
    const unknown = unknownFields(query);
    const created = ctx.store.create(type.key, object, { dryRun, ...unknown.options });
    send(res, 201, created, negotiated.format, unknown.headers(warnings(type, created)));
    return;
  }
  if (method === 'DELETE') {
    const negotiated = negotiate(req, query, false);
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(type, query.get('fieldSelector'));
    const options = deleteOptions(await readBody(req), query, req);
    const deleted: KubeObject[] = [];
    for (const object of ctx.store
      .list(type.key, namespace)
      .items.filter((o) => labels(o) && fields(o))) {
      injectedFailure(ctx, type, object.metadata.name ?? '');
      deleted.push(
        ctx.store.delete(type.key, object.metadata.namespace, object.metadata.name ?? '', options),
      );
    }
    send(
      res,
      200,
      {
        apiVersion: apiVersionOf(type),
        kind: type.listKind,
        metadata: { resourceVersion: ctx.store.currentResourceVersion() },
        items: deleted,
      },
      negotiated.format,
    );
    return;
  }
  throw methodNotAllowed();
};

const handleObject = async (
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Extract<Route, { kind: 'object' }>,
  query: URLSearchParams,
): Promise<void> => {
  const { type, namespace, name, subresource } = route;
  const method = req.method ?? 'GET';
  const options = subresource === 'status' ? { subresource } : undefined;
  const negotiated = negotiate(req, query, method === 'GET');
  const existing = () => {
    const found = ctx.store.get(type.key, namespace, name);
    if (!found) throw notFound(type, name);
    return found;
  };
  switch (method) {
    case 'GET':
      send(res, 200, render(ctx, type, existing(), negotiated), negotiated.format);
      return;
    case 'PUT': {
      const { dryRun } = writeOptions('Update', query);
      const object = await readObject(req, type);
      checkIdentity(route, object);
      if (type.custom && !object.metadata.resourceVersion) {
        throw new StatusError(
          'Invalid',
          `${qualifiedKind(type)} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
          {
            name,
            group: type.group,
            kind: type.kind,
            causes: [
              {
                reason: 'FieldValueInvalid',
                message: 'Invalid value: 0x0: must be specified for an update',
                field: 'metadata.resourceVersion',
              },
            ],
          },
        );
      }
      injectedFailure(ctx, type, name);
      const unknown = unknownFields(query);
      const updated = ctx.store.update(type.key, object, {
        ...options,
        dryRun,
        ...unknown.options,
      });
      send(res, 200, updated, negotiated.format, unknown.headers(warnings(type, updated)));
      return;
    }
    case 'PATCH': {
      const media = contentType(req);
      const kind = patchKindFor(type, media);
      const { dryRun } = writeOptions('Patch', query, { apply: kind === 'apply' });
      const body = await readBody(req);
      const current = ctx.store.get(type.key, namespace, name);
      injectedFailure(ctx, type, name);
      if (!current && kind === 'apply' && subresource === undefined) {
        // Server-side apply creates what does not exist yet.
        const object = applyPatch(
          type,
          kind,
          { apiVersion: apiVersionOf(type), kind: type.kind, metadata: {} },
          body,
          media,
        );
        checkIdentity(route, object);
        const unknown = unknownFields(query);
        const created = ctx.store.create(type.key, object, { dryRun, ...unknown.options });
        send(res, 201, created, negotiated.format, unknown.headers(warnings(type, created)));
        return;
      }
      const patched = applyPatch(type, kind, current ?? existing(), body, media);
      checkIdentity(route, patched);
      const unknown = unknownFields(query);
      const updated = ctx.store.update(type.key, patched, {
        ...options,
        dryRun,
        ...unknown.options,
      });
      send(res, 200, updated, negotiated.format, unknown.headers(warnings(type, updated)));
      return;
    }
    case 'DELETE': {
      if (subresource !== undefined) throw methodNotAllowed();
      const deleteOpts = deleteOptions(await readBody(req), query, req);
      existing();
      injectedFailure(ctx, type, name);
      const deleted = ctx.store.delete(type.key, namespace, name, deleteOpts);
      // Finalizers keep the object (with a deletionTimestamp), dry run or not.
      const remains = deleteOpts.dryRun
        ? (deleted.metadata.finalizers ?? []).length > 0
        : ctx.store.get(type.key, namespace, name) !== undefined;
      send(
        res,
        200,
        type.deleteReturnsObject || remains
          ? deleted
          : deletedStatus(type, name, deleted.metadata.uid),
        negotiated.format,
      );
      return;
    }
    default:
      throw methodNotAllowed();
  }
};

/** subresources.kubevirt.io: PUT <ns>/<virtualmachines|virtualmachineinstances>/<name>/<verb>,
 *  answered with the handler's code and an empty body (virt-api's lifecycle endpoints). */
const handleVerb = async (
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Extract<Route, { kind: 'verb' }>,
): Promise<void> => {
  const handler = ctx.subresources.get(`${route.resource}/${route.verb}`);
  if (!handler) throw unknownPath();
  if (req.method !== 'PUT') throw methodNotAllowed();
  const raw = await readBody(req);
  let body: unknown;
  if (raw.toString('utf8').trim() !== '') {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw badRequest(
        `Can not unmarshal Request body to struct, error: ${(error as Error).message}`,
      );
    }
  }
  const type = servedTypes.find((t) => t.resource === route.resource && t.group === 'kubevirt.io');
  if (type) injectedFailure(ctx, type, route.name);
  const code = handler({ namespace: route.namespace, name: route.name, body });
  res.writeHead(code, { 'Cache-Control': 'no-cache, private', 'Content-Length': '0' });
  res.end();
};

export const handleRoute = (
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  query: URLSearchParams,
): Promise<void> => {
  switch (route.kind) {
    case 'collection':
      return handleCollection(ctx, req, res, route, query);
    case 'object':
      return route.subresource === 'token'
        ? handleTokenRequest(
            { store: ctx.store, now: () => ctx.clock.now(), tokens: ctx.tokens },
            req,
            res,
            route,
            query,
          )
        : handleObject(ctx, req, res, route, query);
    case 'verb':
      return handleVerb(ctx, req, res, route);
  }
};
