// The request headers the cached-read path (cached-reads.ts) reads, taken from node's rawHeaders
// in one pass. node:http builds `request.headers` only when first asked, lower-casing and merging
// every line; the cached read needs a few of them, and the bare server it is measured against
// never pays for that object (issue 12). Read only where the answer cannot differ from what the
// full path reads in `request.headers`: any of these headers sent twice (which node would merge
// or drop) makes the request ineligible, and the full path decides.

export interface ReadHeaders {
  readonly authorization: string | undefined;
  readonly authToken: string | undefined;
  readonly forwardedFor: string | undefined;
  readonly forwarded: string | undefined;
}

/** Lengths of the names looked at below: any other name is skipped without lower-casing it. */
const lengths = new Set([8, 9, 12, 13, 14, 15, 17]);

/** The headers read, by lower-case name. */
const fields = {
  authorization: 'authorization',
  'x-auth-token': 'authToken',
  'x-forwarded-for': 'forwardedFor',
  forwarded: 'forwarded',
} as const satisfies Record<string, keyof ReadHeaders>;

/**
 * The credentials and forwarding headers of a request the cached-read path may answer, or
 * undefined when it may not: a precondition (If-Match, If-None-Match), a body (Transfer-Encoding,
 * a Content-Length other than 0), an OData-Version other than 4.0 (DSP0266 answers 412), or one
 * of these headers twice.
 */
export const readHeaders = (raw: readonly string[]): ReadHeaders | undefined => {
  const read: { -readonly [K in keyof ReadHeaders]: string | undefined } = {
    authorization: undefined,
    authToken: undefined,
    forwardedFor: undefined,
    forwarded: undefined,
  };
  let odataVersion = false;
  let contentLength = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (!lengths.has(name.length)) continue;
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    switch (lower) {
      case 'authorization':
      case 'x-auth-token':
      case 'x-forwarded-for':
      case 'forwarded': {
        const field = fields[lower];
        if (read[field] !== undefined) return undefined;
        read[field] = value;
        break;
      }
      case 'odata-version':
        if (odataVersion || value.trim() !== '4.0') return undefined;
        odataVersion = true;
        break;
      case 'content-length':
        if (contentLength || value !== '0') return undefined;
        contentLength = true;
        break;
      case 'if-match':
      case 'if-none-match':
      case 'transfer-encoding':
        return undefined;
    }
  }
  return read;
};
