// PATCH bodies: RFC 6902 JSON patch (fast-json-patch), RFC 7386 merge patch, strategic merge for
// built-in types (list merge keys from schemas/core-patch-strategies.json) and server-side apply
// (applied as a merge); 415 for strategic merge on custom resources, as the real server answers.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { KubeObject } from '../types.ts';
import { StatusError } from '../types.ts';
import type { ServedType } from '../resource-types.ts';
import { decodeBody } from './request.ts';
// A module import, so that the build carries the file into dist/.
import coreStrategies from '../schemas/core-patch-strategies.json' with { type: 'json' };
import { badRequest, unsupportedMediaType } from './status.ts';

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

const mediaTypes: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The patch kind for a Content-Type; 415 for unknown types and for strategic merge on CRs. */
export const patchKindFor = (type: ServedType, contentType: string): PatchKind => {
  const kind = mediaTypes[contentType];
  const accepted = Object.entries(mediaTypes)
    .filter(([, k]) => !(type.custom && k === 'strategic'))
    .map(([media]) => media);
  if (kind === undefined || (type.custom && kind === 'strategic'))
    throw unsupportedMediaType(accepted);
  return kind;
};

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386. */
export const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Json = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
};

interface ListStrategy {
  readonly strategy: string;
  readonly mergeKey?: string;
}

const strategies: Record<string, Record<string, ListStrategy>> = coreStrategies.kinds;

const mergeList = (current: unknown, patch: unknown[], strategy: ListStrategy): unknown[] => {
  const base = Array.isArray(current) ? [...(current as unknown[])] : [];
  const key = strategy.mergeKey;
  if (key === undefined) {
    return [...base, ...patch.filter((v) => !base.some((b) => b === v))];
  }
  for (const item of patch) {
    if (!isRecord(item)) continue;
    const { $patch: directive, ...fields } = item;
    const at = base.findIndex((b) => isRecord(b) && b[key] === item[key]);
    if (directive === 'delete') {
      if (at >= 0) base.splice(at, 1);
    } else if (at >= 0) base[at] = mergePatch(base[at], fields);
    else base.push(fields);
  }
  return base;
};

/** Strategic merge: merge patch, except that lists declared `merge` are merged by key. */
const strategicMerge = (
  target: unknown,
  patch: unknown,
  lists: Record<string, ListStrategy>,
  path: string,
): unknown => {
  if (!isRecord(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const replaced = { ...patch };
    delete replaced.$patch;
    return replaced;
  }
  const result: Json = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const remove = Array.isArray(value) ? value : [];
      const list = result[field];
      if (Array.isArray(list)) result[field] = list.filter((v) => !remove.includes(v));
      continue;
    }
    const childPath = path === '' ? key : `${path}.${key}`;
    const strategy = lists[childPath];
    if (value === null) delete result[key];
    else if (Array.isArray(value) && strategy?.strategy.includes('merge')) {
      result[key] = mergeList(result[key], value, strategy);
    } else result[key] = strategicMerge(result[key], value, lists, childPath);
  }
  return result;
};

const jsonPatchCause = (error: Error & { operation?: Operation }): string => {
  const op = error.operation;
  switch (error.name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${op?.path ?? ''} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
      return `${op?.op ?? ''} operation does not apply: doc is missing path: "${op?.path ?? ''}": missing value`;
    case 'OPERATION_OP_INVALID':
      return `Unexpected kind: ${String((op as { op?: unknown } | undefined)?.op)}`;
    default:
      return error.message;
  }
};

/** kube-apiserver caps JSON patches at 10,000 operations. */
const maxOperations = 10_000;

const applyJsonPatch = (current: KubeObject, operations: unknown): unknown => {
  if (!Array.isArray(operations) || !operations.every(isRecord)) {
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  if (operations.length > maxOperations) {
    throw new StatusError(
      'RequestEntityTooLarge',
      `The allowed maximum operations in a JSON patch is ${maxOperations}, got: ${operations.length}`,
    );
  }
  try {
    return jsonpatch.applyPatch(current, operations as unknown as Operation[], true, false)
      .newDocument;
  } catch (error) {
    // apiserver wraps the json-patch library error with errors.NewGenericServerResponse(422).
    throw new StatusError(
      'Invalid',
      'the server rejected our request due to an error in our request',
      {
        causes: [{ reason: 'UnexpectedServerResponse', message: jsonPatchCause(error as Error) }],
      },
    );
  }
};

/** The patched object (not yet stored); `body` is the raw request body. */
export const applyPatch = (
  type: ServedType,
  kind: PatchKind,
  current: KubeObject,
  body: Buffer,
  contentType: string,
): KubeObject => {
  const patch = decodeBody(body, contentType, [contentType]);
  let result: unknown;
  switch (kind) {
    case 'json':
      result = applyJsonPatch(current, patch);
      break;
    case 'merge':
    case 'apply':
      if (!isRecord(patch))
        throw badRequest(
          'json: cannot unmarshal array into Go value of type map[string]interface {}',
        );
      result = mergePatch(current, patch);
      break;
    case 'strategic':
      if (!isRecord(patch))
        throw badRequest(
          'json: cannot unmarshal array into Go value of type map[string]interface {}',
        );
      result = strategicMerge(current, patch, strategies[type.patchStrategiesKind ?? ''] ?? {}, '');
      break;
  }
  if (!isRecord(result) || !isRecord(result.metadata)) {
    throw badRequest("Object 'metadata' is missing or invalid after the patch");
  }
  return result as KubeObject;
};
