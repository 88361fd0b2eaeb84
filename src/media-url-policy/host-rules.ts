// Host rules of the image URL policy: parsing an entry (IP, CIDR, host name or `*.suffix`) and
// matching a URL's host against it once literal addresses are reduced to one canonical form.
import {
  addressMatcher,
  ipFamily as familyOf,
  parseCidr,
  withoutBrackets,
  type AddressMatcher,
} from '../util/cidr.ts';

export type HostRule =
  | { readonly kind: 'addresses'; readonly entry: string; readonly matches: AddressMatcher }
  | { readonly kind: 'name'; readonly entry: string; readonly name: string }
  | { readonly kind: 'suffix'; readonly entry: string; readonly suffix: string };

/** A URL host reduced for matching: an IP address (IPv4 for every IPv4-mapped or NAT64
 *  form) or a lower-case name without the trailing root dot. */
export type CanonicalHost =
  | { readonly kind: 'ip'; readonly address: string; readonly family: 'ipv4' | 'ipv6' }
  | { readonly kind: 'name'; readonly name: string };

const hostNamePattern = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** The eight 16-bit groups of an IPv6 address (valid per isIP), an embedded dotted quad
 *  included. */
const ipv6Groups = (address: string): number[] => {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
};

/** IPv4 embedded in an IPv6 address the kernel or a NAT64 gateway would route to it:
 *  IPv4-mapped ::ffff:0:0/96 and the well-known NAT64 prefix 64:ff9b::/96 (RFC 6052). */
const embeddedIpv4 = (groups: readonly number[]): string | undefined => {
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  const mapped = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff;
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (!mapped && !nat64) return undefined;
  return [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join('.');
};

/** Reduces a URL's `hostname` (as WHATWG URL gives it: IPv4 already in dotted decimal whatever
 *  notation was typed, IPv6 bracketed) to the form rules match. */
export const canonicalHost = (hostname: string): CanonicalHost => {
  const host = withoutBrackets(hostname.toLowerCase()).replace(/\.$/, '');
  const family = familyOf(host);
  if (family === 'ipv4') return { kind: 'ip', address: host, family };
  if (family === 'ipv6') {
    const ipv4 = embeddedIpv4(ipv6Groups(host));
    return ipv4
      ? { kind: 'ip', address: ipv4, family: 'ipv4' }
      : { kind: 'ip', address: host, family };
  }
  return { kind: 'name', name: host };
};

/** Parses one policy entry: an IP address, a CIDR, a host name, or `*.suffix` (any name below
 *  the suffix). Answers a description of the expected form when the entry is none of these. */
export const parseHostRule = (raw: string): HostRule | string => {
  const entry = raw.trim();
  const expected = `"${raw}" is not an IP address, CIDR, host name or *.domain`;
  // Anything with a slash, or an address, is an address rule (a name never has either).
  if (entry.includes('/') || familyOf(withoutBrackets(entry))) {
    const cidr = parseCidr(entry);
    return cidr ? { kind: 'addresses', entry, matches: addressMatcher([cidr]) } : expected;
  }
  const name = entry.toLowerCase().replace(/\.$/, '');
  if (name.startsWith('*.')) {
    const suffix = name.slice(2);
    return hostNamePattern.test(suffix) ? { kind: 'suffix', entry, suffix } : expected;
  }
  return hostNamePattern.test(name) ? { kind: 'name', entry, name } : expected;
};

/** Does `host` fall under `rule`? Names never match address rules: what a name resolves to
 *  is decided inside the cluster, not here. */
export const matchesRule = (rule: HostRule, host: CanonicalHost): boolean => {
  switch (rule.kind) {
    case 'addresses':
      return host.kind === 'ip' && rule.matches(host.address);
    case 'name':
      return host.kind === 'name' && host.name === rule.name;
    case 'suffix':
      return host.kind === 'name' && host.name.endsWith(`.${rule.suffix}`);
  }
};
