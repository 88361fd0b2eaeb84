// The address of the client behind a request: the socket peer, unless that peer is one of the
// configured trusted proxies (server.trusted_proxies), in which case the forwarding headers it
// added name the client. Forwarding headers from anyone else are client-controlled and ignored,
// or a client could dodge its lockout or lock out someone else's address.
import { BlockList, isIP } from 'node:net';

/** Where a request came from, as the HTTP layer saw it. */
export interface ClientOrigin {
  /** The socket peer. */
  readonly remoteAddress: string;
  /** The `X-Forwarded-For` header, if any. */
  readonly forwardedFor?: string;
  /** The RFC 7239 `Forwarded` header, if any (it wins over X-Forwarded-For). */
  readonly forwarded?: string;
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

/** Parses `address` or `address/prefix`; undefined when it is neither. */
export const parseCidr = (
  text: string,
): { readonly address: string; readonly prefix: number; readonly family: 4 | 6 } | undefined => {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: family === 4 ? 4 : 6 };
};

/** A matcher for a list of CIDRs (entries that do not parse match nothing; the config schema
 *  has refused them already). */
export const proxyMatcher = (cidrs: readonly string[]): ((address: string) => boolean) => {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed)
      list.addSubnet(parsed.address, parsed.prefix, parsed.family === 4 ? 'ipv4' : 'ipv6');
  }
  // Asked on every authenticated request: BlockList.check allocates a SocketAddress each time,
  // so answers are remembered (bounded: peers are proxies and clients, few per replica).
  if (cidrs.length === 0) return () => false;
  const known = new Map<string, boolean>();
  return (address) => {
    let trusted = known.get(address);
    if (trusted === undefined) {
      const family = isIP(address);
      trusted = family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
      if (known.size >= 4096) known.clear();
      known.set(address, trusted);
    }
    return trusted;
  };
};

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
  const peer = bareAddress(origin.remoteAddress) ?? origin.remoteAddress;
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
