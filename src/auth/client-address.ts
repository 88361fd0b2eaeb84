// The address of the client behind a request: the socket peer, unless that peer is one of the
// configured trusted proxies (server.trusted_proxies), in which case the forwarding headers it
// added name the client. Forwarding headers from anyone else are client-controlled and ignored,
// or a client could dodge its lockout or lock out someone else's address.
import { isIP } from 'node:net';
import { addressMatcher, parseCidr, type AddressMatcher } from '../util/cidr.ts';
import { BoundedMap, memoised } from '../util/memo.ts';

/** Where a request came from, as the HTTP layer saw it. */
export interface ClientOrigin {
  /** The socket peer. */
  readonly remoteAddress: string;
  /** The `X-Forwarded-For` header, if any. */
  readonly forwardedFor?: string | undefined;
  /** The RFC 7239 `Forwarded` header, if any (it wins over X-Forwarded-For). */
  readonly forwarded?: string | undefined;
}

/** A bare IP address from a header or socket value: brackets, ports and the IPv4-mapped IPv6
 *  prefix removed; undefined when it is no IP address (`unknown`, obfuscated identifiers). */
export const bareAddress = (value: string): string | undefined => {
  let text = value.trim().replace(/^"|"$/g, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1] !== undefined) text = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped?.[1] !== undefined) text = mapped[1];
  return isIP(text) === 0 ? undefined : text.toLowerCase();
};

/** Socket peers' bare addresses, remembered: asked on every authenticated request, from the few
 *  peers a replica has (a socket address is the kernel's, never a client's text). Bounded. */
const peers = new BoundedMap<string, string>(4096);
const barePeer = (remoteAddress: string) => bareAddress(remoteAddress) ?? remoteAddress;
const peerAddress = (remoteAddress: string): string => memoised(peers, remoteAddress, barePeer);

/** A matcher for a list of CIDRs (entries that do not parse match nothing; the config schema
 *  has refused them already). */
export const proxyMatcher = (cidrs: readonly string[]): AddressMatcher =>
  addressMatcher(cidrs.map(parseCidr).filter((cidr) => cidr !== undefined));

/** The hops a header lists, nearest last: `for=` of each Forwarded element, or the
 *  X-Forwarded-For list. */
const hopsOf = (origin: ClientOrigin): readonly string[] => {
  if (origin.forwarded !== undefined) {
    return origin.forwarded.split(',').map((element) => {
      const pair = element
        .split(';')
        .map((p) => p.trim())
        .find((p) => p.toLowerCase().startsWith('for='));
      return pair === undefined ? '' : pair.slice(4);
    });
  }
  return origin.forwardedFor?.split(',') ?? [];
};

/**
 * The client's address. From a trusted proxy, the headers are read from the nearest hop
 * outwards, skipping further trusted proxies; the first other address is the client. A hop that
 * is no address stops the walk at the last proxy that could be vouched for.
 */
export const clientAddress = (origin: ClientOrigin, isTrusted: (a: string) => boolean): string => {
  const peer = peerAddress(origin.remoteAddress);
  if (!isTrusted(peer)) return peer;
  let client = peer;
  const hops = hopsOf(origin);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = bareAddress(hops[i] ?? '');
    if (hop === undefined) return client;
    client = hop;
    if (!isTrusted(hop)) return hop;
  }
  return client;
};
