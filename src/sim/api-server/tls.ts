// TLS material for the simulated API server: a throw-away CA and a server certificate it signs
// for 127.0.0.1 and localhost, so clients verify the server as they would a real cluster.
import { generate } from 'selfsigned';
import type { Clock } from '../../util/clock.ts';

export interface TlsMaterial {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const day = 24 * 60 * 60 * 1000;

export const generateTls = async (clock: Clock): Promise<TlsMaterial> => {
  // Clients check validity against their wall clock, which a manual clock need not match:
  // a wide window around the injected time keeps both views valid.
  const notBeforeDate = new Date(clock.now() - 365 * day);
  const notAfterDate = new Date(clock.now() + 10 * 365 * day);
  const common = {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
  } as const;
  const ca = await generate([{ name: 'commonName', value: 'kubevirt-redfish-sim-ca' }], {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, certPem: server.cert, keyPem: server.private };
};
