// authorization.k8s.io/v1 SelfSubjectAccessReview, which the service's start-up self-check asks
// once per verb and resource: answered by the same decision the request itself would get (RBAC
// for ServiceAccount tokens, always allowed for the admin kubeconfig); malformed reviews are
// rejected as the real API server does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../types.ts';
import type { Decision } from './rbac-authorizer.ts';
import type { RequestAttributes } from './request-info.ts';
import { bodyMediaTypes, decodeBody, readBody, send, contentType } from './request.ts';
import { badRequest, methodNotAllowed } from './status.ts';

export const accessReviewPath = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/** The discovery entry of authorization.k8s.io/v1 (kubectl auth can-i resolves it). */
export const accessReviewResource = {
  name: 'selfsubjectaccessreviews',
  singularName: 'selfsubjectaccessreview',
  namespaced: false,
  kind: 'SelfSubjectAccessReview',
  verbs: ['create'],
};

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The request a review asks about, as authorization sees it. */
const reviewed = (resource: unknown, nonResource: unknown): RequestAttributes => {
  if (isRecord(nonResource)) {
    return { resourceRequest: false, verb: text(nonResource.verb), path: text(nonResource.path) };
  }
  const r = isRecord(resource) ? resource : {};
  return {
    resourceRequest: true,
    verb: text(r.verb),
    apiGroup: text(r.group),
    namespace: text(r.namespace),
    resource: text(r.resource),
    subresource: text(r.subresource),
    name: text(r.name),
  };
};

export const handleAccessReview = async (
  req: IncomingMessage,
  res: ServerResponse,
  decide: (attributes: RequestAttributes) => Decision,
): Promise<void> => {
  if (req.method !== 'POST') throw methodNotAllowed();
  const body = decodeBody(
    await readBody(req),
    contentType(req),
    bodyMediaTypes('authorization.k8s.io/v1', 'SelfSubjectAccessReview'),
  );
  if (!isRecord(body) || body.kind !== 'SelfSubjectAccessReview')
    throw badRequest('expected a SelfSubjectAccessReview');
  const spec = isRecord(body.spec) ? body.spec : {};
  const resource = spec.resourceAttributes;
  const nonResource = spec.nonResourceAttributes;
  // The API server's validation: exactly one of the two attribute sets.
  if ((resource === undefined) === (nonResource === undefined))
    throw new StatusError(
      'Invalid',
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      { kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io' },
    );
  const { allowed, reason } = decide(reviewed(resource, nonResource));
  send(
    res,
    201,
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec,
      status: reason === '' ? { allowed } : { allowed, reason },
    },
    'json',
  );
};
