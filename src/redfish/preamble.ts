// The protocol preamble of every response and the request preconditions (DSP0266 "HTTP headers"):
// OData-Version, JSON content type, describedby Link, strong ETags, If-Match and If-None-Match.
import { createHash } from 'node:crypto';
import { RedfishError, preconditionFailed } from './messages.ts';
import { describedBy } from './odata.ts';
import type { RedfishBody } from './handler.ts';

export const jsonContentType = 'application/json; charset=utf-8';

/** The realm clients see in WWW-Authenticate. */
export const authRealm = 'kubevirt-redfish';

/** Headers on every response, error or not. `no-store` keeps shared caches from keeping bodies
 *  that were served to an authenticated caller (reference-implementation.md §11 item 1). */
export const commonHeaders: Readonly<Record<string, string>> = {
  'OData-Version': '4.0',
  'Cache-Control': 'no-store',
};

/** A strong entity tag of a serialized body: quoted lowercase hex only, which sushy's ETag
 *  handling accepts (clients-and-peers.md §4.3); equal bodies give equal tags. */
export const etagOfJson = (json: string): string =>
  `"${createHash('sha256').update(json).digest('hex').slice(0, 32)}"`;

/** The property that reads the clock rather than describes the resource: a Manager's DateTime
 *  changes every second while the Manager does not. An ETag computed with it would differ
 *  between a HEAD and the GET after it, and no If-None-Match or If-Match could ever match. */
const clockReading = 'DateTime';

/** What the ETag of `body` (serialized as `json`) is computed from: `json`, less any clock
 *  reading (at any depth: an expanded collection of Managers holds one per member). */
const etagBasis = (body: RedfishBody, json: string): string =>
  json.includes(`"${clockReading}":`)
    ? JSON.stringify(body, (key, value: unknown) => (key === clockReading ? undefined : value))
    : json;

export const etagOf = (body: RedfishBody): string =>
  etagOfJson(etagBasis(body, JSON.stringify(body)));

/** Most GETs answer bytes answered before (a resource changes far less often than it is read),
 *  and looking the bytes up costs a fraction of a digest; bounded by the characters it holds. */
export const createEtagCache = (maxChars = 4 * 1024 * 1024): ((json: string) => string) => {
  const tags = new Map<string, string>();
  let chars = 0;
  return (json) => {
    const known = tags.get(json);
    if (known !== undefined) return known;
    const tag = etagOfJson(json);
    if (json.length > maxChars / 8) return tag;
    for (const oldest of tags.keys()) {
      if (chars + json.length <= maxChars) break;
      tags.delete(oldest);
      chars -= oldest.length;
    }
    tags.set(json, tag);
    chars += json.length;
    return tag;
  };
};

/** Headers describing a body: content type, schema link, and (for resources) an ETag. */
export const bodyHeaders = (
  body: RedfishBody,
  json: string,
  etagOfBody: (json: string) => string = etagOfJson,
): Record<string, string> => {
  const headers: Record<string, string> = { 'Content-Type': jsonContentType };
  const schema = describedBy(body['@odata.type']);
  if (schema !== undefined) headers.Link = `<${schema}>; rel=describedby`;
  if (typeof body['@odata.id'] === 'string') headers.ETag = etagOfBody(etagBasis(body, json));
  return headers;
};

/** Splits an If-Match header into its entity tags (RFC 9110 §13.1.1). */
export const parseIfMatch = (header: string | undefined): readonly string[] | undefined => {
  if (header === undefined) return undefined;
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
};

/** Throws 412 unless If-Match is absent, `*`, or lists `current`. Weak tags never match: If-Match
 *  uses strong comparison (RFC 9110 §13.1.1). */
export const requireIfMatch = (ifMatch: readonly string[] | undefined, current: string): void => {
  if (ifMatch === undefined) return;
  if (ifMatch.some((tag) => tag === '*' || tag === current)) return;
  throw new RedfishError(preconditionFailed());
};

/** True when If-None-Match names `etag` (or is `*`): the client's copy is current. If-None-Match
 *  uses weak comparison (RFC 9110 §13.1.2), so a `W/` prefix does not matter. */
export const matchesIfNoneMatch = (header: string | undefined, etag: string): boolean =>
  header !== undefined &&
  header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
