// Where Metal3 reaches the service (bmc-address.ts): the scheme, the authority, and whether the
// certificate is self-signed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { generateTls } from '../sim/api-server/tls.ts';
import { systemClock } from '../util/clock.ts';
import { BmhRefusal, bmcBase, selfSignedCertificate } from './bmc-address.ts';

const config = (server: string): Config =>
  parseConfig(
    `server: ${server}\nchassis:\n  - {name: one, namespace: ns}\nauthentication:\n  users:\n    - {username: a, password: p, chassis: [one]}\n`,
    'test',
  ).config;

void describe('the BMC address of a BareMetalHost', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvrf-bmc-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  void it('comes from the listener, with +http for plain HTTP and brackets for IPv6', () => {
    assert.deepEqual(bmcBase(config('{host: "10.0.0.5", port: 8443}'), undefined), {
      base: 'redfish-virtualmedia+http://10.0.0.5:8443',
      https: false,
    });
    assert.equal(
      bmcBase(config('{host: "fd00::5", port: 8443}'), undefined).base,
      'redfish-virtualmedia+http://[fd00::5]:8443',
    );
  });

  void it('comes from --address, its default port left to Metal3 as URL does', () => {
    const plain = config('{host: "0.0.0.0"}');
    assert.deepEqual(bmcBase(plain, 'https://redfish.example:443/'), {
      base: 'redfish-virtualmedia://redfish.example',
      https: true,
    });
    for (const bad of ['redfish.example', 'ftp://x', 'https://u:p@x', 'https://x/a', 'https://x?a'])
      assert.throws(() => bmcBase(plain, bad), BmhRefusal, bad);
    assert.throws(() => bmcBase(plain, undefined), /listens on all addresses/);
  });

  void it('tells a self-signed certificate from a CA-issued one', async () => {
    const self = await generate([{ name: 'commonName', value: 'redfish.example' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
    });
    const issued = await generateTls(systemClock);
    await writeFile(join(dir, 'self.crt'), self.cert);
    await writeFile(join(dir, 'issued.crt'), issued.certPem);
    await writeFile(join(dir, 'tls.key'), self.private);
    const tls = (cert: string) =>
      config(
        `{tls: {enabled: true, cert_file: "${join(dir, cert)}", key_file: "${join(dir, 'tls.key')}"}}`,
      );
    assert.deepEqual(await selfSignedCertificate(tls('self.crt')), { selfSigned: true });
    assert.deepEqual(await selfSignedCertificate(tls('issued.crt')), { selfSigned: false });
    const missing = await selfSignedCertificate(tls('missing.crt'));
    assert.ok('unknown' in missing && missing.unknown.includes('missing.crt'));
    assert.ok('unknown' in (await selfSignedCertificate(config('{tls: {enabled: false}}'))));
  });
});
