// POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token: the TokenRequest subresource
// (authentication.k8s.io/v1), as `kubectl create token` calls it. Validation and defaults of the
// real registry: expirationSeconds defaults to 3600 and must lie in [600, 2^32].
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rfc3339 } from '../store.ts';
import { StatusError } from '../types.ts';
import type { ObjectStore } from '../types.ts';
import { notFound } from '../store.ts';
import type { ServedType } from '../resource-types.ts';
import { bodyMediaTypes, contentType, decodeBody, negotiate, readBody, send } from './request.ts';
import { apiAudience, type TokenIssuer } from './service-account-tokens.ts';
import { badRequest, methodNotAllowed } from './status.ts';

const tokenApiVersion = 'authentication.k8s.io/v1';

/** The discovery entry of the subresource, listed under core v1 serviceaccounts. */
export const tokenRequestResource = {
  name: 'serviceaccounts/token',
  singularName: '',
  namespaced: true,
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'TokenRequest',
  verbs: ['create'],
};

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalidExpiration = (name: string, value: number, detail: string): StatusError =>
  new StatusError(
    'Invalid',
    `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${value}: ${detail}`,
    {
      name,
      group: 'authentication.k8s.io',
      kind: 'TokenRequest',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${value}: ${detail}`,
          field: 'spec.expirationSeconds',
        },
      ],
    },
  );

export const handleTokenRequest = async (
  ctx: { readonly store: ObjectStore; readonly now: () => number; readonly tokens: TokenIssuer },
  req: IncomingMessage,
  res: ServerResponse,
  route: { readonly type: ServedType; readonly namespace?: string; readonly name: string },
  query: URLSearchParams,
): Promise<void> => {
  if (req.method !== 'POST') throw methodNotAllowed();
  const negotiated = negotiate(req, query, false);
  const body = decodeBody(
    await readBody(req),
    contentType(req),
    bodyMediaTypes(tokenApiVersion, 'TokenRequest'),
  );
  if (!isRecord(body)) throw badRequest("Object 'Kind' is missing in the request body");
  const serviceAccount = ctx.store.get('serviceaccounts', route.namespace, route.name);
  if (!serviceAccount) throw notFound(route.type, route.name);
  const spec = isRecord(body.spec) ? body.spec : {};
  const expirationSeconds =
    typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  if (expirationSeconds < 600) {
    throw invalidExpiration(
      route.name,
      expirationSeconds,
      'may not specify a duration less than 10 minutes',
    );
  }
  if (expirationSeconds > 2 ** 32) {
    throw invalidExpiration(
      route.name,
      expirationSeconds,
      'may not specify a duration larger than 2^32 seconds',
    );
  }
  const audiences =
    Array.isArray(spec.audiences) && spec.audiences.length > 0
      ? spec.audiences.map(String)
      : [apiAudience];
  const { token, expiresAt } = ctx.tokens.mint(serviceAccount, audiences, expirationSeconds);
  const metadata = isRecord(body.metadata) ? body.metadata : {};
  send(
    res,
    201,
    {
      kind: 'TokenRequest',
      apiVersion: tokenApiVersion,
      metadata: {
        ...metadata,
        name: route.name,
        namespace: route.namespace,
        creationTimestamp: rfc3339(ctx.now()),
      },
      spec: { ...spec, audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token, expirationTimestamp: rfc3339(expiresAt) },
    },
    negotiated.format,
  );
};
