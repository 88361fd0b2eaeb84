// LIST: <Kind>List bodies (or Tables) with selectors, limit/continue pagination and the
// resourceVersion rules of the watch cache (410 for expired continue tokens, 504 for the future).
import type { KubeObject, ObjectStore } from '../types.ts';
import { StatusError } from '../types.ts';
import type { ServedType } from '../resource-types.ts';
import { apiVersionOf } from '../resource-types.ts';
import type { Negotiated } from './request.ts';
import type { Selector } from './selectors.ts';
import { toTable } from './table.ts';
import { badRequest } from './status.ts';

export interface ListParams {
  readonly type: ServedType;
  readonly namespace: string | undefined;
  readonly matches: Selector;
  readonly query: URLSearchParams;
  readonly negotiated: Negotiated;
  readonly now: number;
  /** Resource versions below this are treated as compacted (fault switch). */
  readonly expiredThrough: number;
}

interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

const itemKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

const encodeContinue = (token: ContinueToken): string =>
  Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString(
    'base64url',
  );

const decodeContinue = (text: string): ContinueToken => {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<
      ContinueToken & { v: string }
    >;
    if (
      parsed.v !== 'meta.k8s.io/v1' ||
      typeof parsed.rv !== 'number' ||
      typeof parsed.start !== 'string'
    ) {
      throw new Error('bad token');
    }
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
};

const continueExpired = new StatusError(
  'Expired',
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
);

/** Throws 410 when `rv` is older than what the store (or the expiry fault) retains. */
const assertRetained = (
  store: ObjectStore,
  rv: number,
  expiredThrough: number,
  error?: StatusError,
) => {
  try {
    if (rv < expiredThrough) {
      throw new StatusError('Expired', `too old resource version: ${rv} (${expiredThrough + 1})`);
    }
    store.eventsSince(String(rv));
  } catch (e) {
    throw error && e instanceof StatusError && e.code === 410 ? error : e;
  }
};

export const listBody = (store: ObjectStore, params: ListParams): unknown => {
  const { type, query } = params;
  const current = Number(store.currentResourceVersion());
  const limitText = query.get('limit');
  const limit = limitText === null ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit "${limitText}"`);
  const continueText = query.get('continue');
  const token = continueText ? decodeContinue(continueText) : undefined;
  if (token) assertRetained(store, token.rv, params.expiredThrough, continueExpired);
  const rvText = query.get('resourceVersion');
  if (!token && rvText !== null && rvText !== '' && rvText !== '0') {
    if (!/^\d+$/.test(rvText)) throw badRequest(`invalid resource version "${rvText}"`);
    const rv = Number(rvText);
    if (rv > current) {
      throw new StatusError('Timeout', `Too large resource version: ${rv}, current: ${current}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    if (query.get('resourceVersionMatch') === 'Exact')
      assertRetained(store, rv, params.expiredThrough);
  }
  let items = store
    .listShared(type.key, params.namespace)
    .items.filter(params.matches)
    .filter((o) => !token || itemKey(o) >= token.start);
  const listMeta: Record<string, unknown> = { resourceVersion: String(token?.rv ?? current) };
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1];
    listMeta.continue = encodeContinue({
      rv: token?.rv ?? current,
      start: `${last ? itemKey(last) : ''}\u0000`,
    });
    listMeta.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  if (params.negotiated.table) {
    return toTable(type, items, params.negotiated.table, { now: params.now, listMeta });
  }
  return {
    apiVersion: apiVersionOf(type),
    kind: type.listKind,
    metadata: listMeta,
    // Built-in types are served without apiVersion/kind on list items; custom resources keep them.
    items: type.custom ? items : items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
  };
};
