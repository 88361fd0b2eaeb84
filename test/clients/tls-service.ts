// The service with TLS: a self-signed certificate for 127.0.0.1 made for the test, and the default
// test config with server.tls enabled. The listener then serves HTTPS and plain HTTP on one port.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { parse, stringify } from 'yaml';
import { defaultConfigYaml, startService, type TestService } from '../helpers/service.ts';

const day = 24 * 60 * 60 * 1000;

export interface TlsService extends TestService {
  /** host:port, as redfishtool's -r wants it. */
  readonly hostPort: string;
}

export const startTlsService = async (): Promise<TlsService> => {
  const dir = await mkdtemp(join(tmpdir(), 'kvrf-tls-'));
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - day),
    notAfterDate: new Date(Date.now() + 30 * day),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await writeFile(certFile, pems.cert);
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  const config = parse(defaultConfigYaml()) as { server: { tls: Record<string, unknown> } };
  config.server.tls = { enabled: true, cert_file: certFile, key_file: keyFile };
  let service: TestService;
  try {
    service = await startService({ configYaml: stringify(config) });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...service,
    hostPort: new URL(service.url).host,
    close: async () => {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
