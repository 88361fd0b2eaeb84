// The kubeconfig the simulator hands to kubectl and client-node: its URL, its CA (or
// insecure-skip-tls-verify for plain HTTP, which client-node requires) and a bearer-token user.
import YAML from 'yaml';

export const kubeconfigYaml = (options: {
  readonly url: string;
  readonly caPem: string | undefined;
  readonly token: string;
}): string => {
  const name = 'kubevirt-redfish-sim';
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: options.url,
          ...(options.caPem !== undefined
            ? { 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') }
            : { 'insecure-skip-tls-verify': true }),
        },
      },
    ],
    users: [{ name: `${name}-admin`, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
};
