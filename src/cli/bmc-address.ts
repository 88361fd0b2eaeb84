// Where Metal3 reaches this service, as a BareMetalHost's spec.bmc says it: the address scheme
// (baremetal-operator's redfish-virtualmedia, `+http` for plain HTTP) and whether the
// certificate can be verified.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.ts';

/** A refusal of `bmh`: one line for the operator, never a stack trace. */
export class BmhRefusal extends Error {}

export interface BmcBase {
  /** `redfish-virtualmedia://host:port` or `redfish-virtualmedia+http://host:port`. */
  readonly base: string;
  readonly https: boolean;
}

const wildcardHosts = ['0.0.0.0', '::', ''];

/** The base from `--address` (http or https URL, no path), else from the config's listener. */
export const bmcBase = (config: Config, address: string | undefined): BmcBase => {
  let url: URL;
  if (address !== undefined) {
    try {
      url = new URL(address);
    } catch {
      throw new BmhRefusal(`bmh: --address needs a URL such as https://redfish.example:8443`);
    }
    if (
      !['http:', 'https:'].includes(url.protocol) ||
      !['', '/'].includes(url.pathname) ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== '' ||
      url.password !== ''
    )
      throw new BmhRefusal(
        `bmh: --address takes the service's base URL (http or https, host and port, no path or credentials), not "${address}"`,
      );
  } else {
    const { host, port, tls } = config.server;
    // A wildcard says nothing about the name clients use (a Service, a Route, a load balancer).
    if (wildcardHosts.includes(host))
      throw new BmhRefusal(
        `bmh: the service listens on all addresses (server.host "${host}"); give the URL Metal3 reaches it at with --address`,
      );
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    url = new URL(`${tls.enabled ? 'https' : 'http'}://${authority}`);
  }
  const https = url.protocol === 'https:';
  // URL drops the default port; Metal3 applies the same defaults.
  return { base: `redfish-virtualmedia${https ? '' : '+http'}://${url.host}`, https };
};

/** True when the service's own certificate is self-signed, which Metal3 cannot verify (the
 *  CRD's case for disableCertificateVerification). Undefined when it cannot be read here
 *  (e.g. a path inside the pod), with the reason. */
export const selfSignedCertificate = async (
  config: Config,
): Promise<{ selfSigned: boolean } | { unknown: string }> => {
  const path = config.server.tls.certFile;
  if (!config.server.tls.enabled || path === undefined)
    return { unknown: 'the configuration names no certificate' };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(await readFile(path));
  } catch (error) {
    return { unknown: `${path}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    selfSigned:
      certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey),
  };
};
