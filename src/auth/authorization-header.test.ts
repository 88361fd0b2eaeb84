import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthorization } from './authorization-header.ts';

const basic = (scheme: string, userPass: string) =>
  `${scheme} ${Buffer.from(userPass, 'utf8').toString('base64')}`;

void describe('parseAuthorization', () => {
  void it('reads Basic credentials with a case-insensitive scheme', () => {
    for (const scheme of ['Basic', 'basic', 'BASIC', 'bAsIc']) {
      assert.deepEqual(parseAuthorization(basic(scheme, 'admin:pw')), {
        scheme: 'basic',
        username: 'admin',
        password: 'pw',
      });
    }
  });

  void it('decodes UTF-8 and splits at the first colon only', () => {
    assert.deepEqual(parseAuthorization(basic('Basic', 'jürgen:pä:ss wörd')), {
      scheme: 'basic',
      username: 'jürgen',
      password: 'pä:ss wörd',
    });
    assert.deepEqual(parseAuthorization(basic('Basic', 'admin:')), {
      scheme: 'basic',
      username: 'admin',
      password: '',
    });
  });

  void it('rejects malformed Basic credentials', () => {
    for (const header of [
      'Basic',
      'Basic ',
      'Basic !!!!',
      'Basic YWRtaW4', // unpadded
      basic('Basic', 'no-colon'),
      `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, // not UTF-8
      'Basic YWRt aW46cHc=',
      '',
    ]) {
      assert.deepEqual(parseAuthorization(header), { scheme: 'malformed' }, header);
    }
  });

  void it('recognises other schemes as unsupported', () => {
    assert.deepEqual(parseAuthorization('Bearer abc.def'), { scheme: 'unsupported' });
    assert.deepEqual(parseAuthorization('Digest username="a"'), { scheme: 'unsupported' });
  });
});
