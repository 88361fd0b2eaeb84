// IP addresses and CIDRs as the configuration lists them (server.trusted_proxies,
// datavolume.image_url_policy): one parser and one matcher for every such list.
import { BlockList, isIP } from 'node:net';
import { BoundedMap, memoised } from './memo.ts';

export type IpFamily = 'ipv4' | 'ipv6';

/** The family of a bare IP address; undefined when it is no IP address. */
export const ipFamily = (address: string): IpFamily | undefined => {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
};

/** `[2001:db8::1]` → `2001:db8::1`, as URLs and Forwarded write IPv6 addresses. */
export const withoutBrackets = (host: string): string =>
  host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: IpFamily;
}

/** Parses `address` or `address/prefix` (an IPv6 address may be bracketed); undefined when it is
 *  neither. A single address is its own /32 or /128. */
export const parseCidr = (text: string): Cidr | undefined => {
  const entry = text.trim();
  const slash = entry.indexOf('/');
  const address = withoutBrackets(slash >= 0 ? entry.slice(0, slash) : entry);
  const family = ipFamily(address);
  if (family === undefined) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefixText = slash >= 0 ? entry.slice(slash + 1) : String(max);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix, family } : undefined;
};

/** Whether a bare IP address lies in one of `cidrs`. */
export type AddressMatcher = (address: string) => boolean;

export const addressMatcher = (cidrs: readonly Cidr[]): AddressMatcher => {
  if (cidrs.length === 0) return () => false;
  const list = new BlockList();
  for (const { address, prefix, family } of cidrs) list.addSubnet(address, prefix, family);
  // The trusted-proxy check asks on every authenticated request, and BlockList.check allocates a
  // SocketAddress each time, so answers are remembered (bounded: the addresses asked about are
  // peers and resolved image hosts, few per replica).
  const known = new BoundedMap<string, boolean>(4096);
  const check = (address: string) => {
    const family = ipFamily(address);
    return family !== undefined && list.check(address, family);
  };
  return (address) => memoised(known, address, check);
};
