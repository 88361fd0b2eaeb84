// Parses an Authorization header (RFC 7235 §2.1) and the Basic scheme's credentials (RFC 7617:
// case-insensitive scheme, base64 of "user-id:password" in UTF-8, split at the first colon).

export type ParsedAuthorization =
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string }
  /** Basic, but the credentials are not valid base64 / UTF-8 / "user:password". */
  | { readonly scheme: 'malformed' }
  /** A scheme we do not offer (Bearer, Digest...). */
  | { readonly scheme: 'unsupported' };

const credentialsPattern = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export const parseAuthorization = (header: string): ParsedAuthorization => {
  const match = credentialsPattern.exec(header.trim());
  if (!match) return { scheme: 'malformed' };
  if (match[1]?.toLowerCase() !== 'basic') return { scheme: 'unsupported' };
  const token = match[2]?.trim() ?? '';
  if (!base64Pattern.test(token) || token.length % 4 !== 0) return { scheme: 'malformed' };
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(token, 'base64'));
  } catch {
    return { scheme: 'malformed' };
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return { scheme: 'malformed' };
  return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
};
