// Which image URLs InsertMedia may hand to CDI (config `datavolume.image_url_policy`). CDI's
// importer fetches the URL from a pod inside the cluster, so an unchecked URL lets a Redfish user
// read the cloud metadata service, the API server or cluster-internal services through the guest's
// CD-ROM (issue 11 item 10). Names are judged as written: what they resolve to inside the cluster
// cannot be known here (docs/configuration.md says what a NetworkPolicy must add).
import { canonicalHost, matchesRule, parseHostRule, type HostRule } from './host-rules.ts';

export interface ImageUrlPolicyConfig {
  /** Entries that are always refused, even when also allowed. */
  readonly deny: readonly string[];
  /** Entries exempt from the built-in refusals (e.g. "127.0.0.1" for a lab image server). */
  readonly allow: readonly string[];
  /** What happens to a host no entry and no built-in rule matches. */
  readonly unmatched: 'allow' | 'deny';
}

export const defaultImageUrlPolicy: ImageUrlPolicyConfig = {
  deny: [],
  allow: [],
  unmatched: 'allow',
};

export type ImageUrlVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export interface ImageUrlPolicy {
  /** Judges an http(s) URL by its host; a URL that does not parse is refused. */
  check(url: string): ImageUrlVerdict;
}

interface BuiltIn {
  readonly reason: string;
  readonly entries: readonly string[];
}

/** Refused unless allowed: addresses no image server of a BMC client lives on, and names that
 *  only mean something inside the cluster. */
const builtIns: readonly BuiltIn[] = [
  { reason: 'a loopback address', entries: ['127.0.0.0/8', '::1/128', 'localhost', '*.localhost'] },
  { reason: 'an unspecified address', entries: ['0.0.0.0/8', '::/128'] },
  {
    // 169.254.169.254 is the metadata service of most clouds (AWS also fd00:ec2::254).
    reason: 'a link-local or metadata-service address',
    entries: ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', 'metadata.google.internal'],
  },
  {
    reason: 'the Kubernetes API server',
    entries: [
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
  },
  { reason: 'a cluster-internal name', entries: ['*.svc', '*.cluster.local'] },
];

/** The hosts of the API server URL a kubeconfig names (cluster IP, or a name outside the cluster
 *  that also reaches it from the importer pod). */
const apiServerEntries = (apiServer: string | undefined): string[] => {
  if (!apiServer) return [];
  const host = URL.parse(apiServer)?.hostname;
  return host ? [host] : [];
};

const parseAll = (entries: readonly string[]): HostRule[] =>
  entries.flatMap((entry) => {
    const rule = parseHostRule(entry);
    return typeof rule === 'string' ? [] : [rule];
  });

/** The entries of `config` that are not valid host rules, with what each should look like. */
export const invalidPolicyEntries = (entries: readonly string[]): string[] =>
  entries.flatMap((entry) => {
    const rule = parseHostRule(entry);
    return typeof rule === 'string' ? [rule] : [];
  });

export const createImageUrlPolicy = (
  config: ImageUrlPolicyConfig,
  /** The API server URL from the kubeconfig, refused like kubernetes.default. */
  apiServer?: string,
): ImageUrlPolicy => {
  const deny = parseAll(config.deny);
  const allow = parseAll(config.allow);
  const refusals = [
    ...builtIns,
    { reason: 'the Kubernetes API server', entries: apiServerEntries(apiServer) },
  ].map(({ reason, entries }) => ({ reason, rules: parseAll(entries) }));
  return {
    check(raw) {
      const url = URL.parse(raw);
      if (!url) return { allowed: false, reason: 'not a URL' };
      const host = canonicalHost(url.hostname);
      const matches = (rules: readonly HostRule[]) => rules.some((r) => matchesRule(r, host));
      if (matches(deny)) return { allowed: false, reason: 'denied by image_url_policy.deny' };
      if (matches(allow)) return { allowed: true };
      const refusal = refusals.find(({ rules }) => matches(rules));
      if (refusal) return { allowed: false, reason: refusal.reason };
      // A single-label name resolves through the importer pod's DNS search path, i.e. to a
      // Service of its own namespace (or kubernetes.default's siblings).
      if (host.kind === 'name' && !host.name.includes('.'))
        return { allowed: false, reason: 'a cluster-internal name' };
      return config.unmatched === 'allow'
        ? { allowed: true }
        : { allowed: false, reason: 'not in image_url_policy.allow' };
    },
  };
};
