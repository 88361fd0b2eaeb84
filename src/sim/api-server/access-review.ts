// authorization.k8s.io/v1 SelfSubjectAccessReview, which the service's start-up self-check asks
// once per verb and resource. The simulator authenticates one identity, its admin token, and
// that identity may do everything (as a cluster-admin kubeconfig may), so every review of a
// well-formed request is allowed; malformed reviews are rejected as the real API server does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../types.ts';
import { decodeBody, objectMediaTypes, readBody, send, contentType } from './request.ts';
import { badRequest, methodNotAllowed } from './status.ts';

export const accessReviewPath = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const handleAccessReview = async (
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  if (req.method !== 'POST') throw methodNotAllowed();
  const body = decodeBody(await readBody(req), contentType(req), objectMediaTypes);
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
  send(
    res,
    201,
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: true, reason: 'the simulator admin token may do everything' },
    },
    'json',
  );
};
