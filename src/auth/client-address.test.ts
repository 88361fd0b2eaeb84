import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bareAddress, clientAddress, proxyMatcher } from './client-address.ts';

void describe('client address', () => {
  void it('reads bare addresses from socket and header forms', () => {
    assert.equal(bareAddress('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(bareAddress('"[2001:DB8::1]:4711"'), '2001:db8::1');
    assert.equal(bareAddress('192.0.2.1:8080'), '192.0.2.1');
    assert.equal(bareAddress(' 192.0.2.1 '), '192.0.2.1');
    for (const junk of ['unknown', '_hidden', '', '999.1.1.1', '[::1'])
      assert.equal(bareAddress(junk), undefined, junk);
  });

  void it('believes forwarding headers only from trusted proxies, nearest hop first', () => {
    const trusted = proxyMatcher(['10.128.0.0/14', '192.0.2.10']);
    const from = (remoteAddress: string, headers: { forwardedFor?: string; forwarded?: string }) =>
      clientAddress({ remoteAddress, ...headers }, trusted);
    assert.equal(from('198.51.100.1', { forwardedFor: '203.0.113.1' }), '198.51.100.1');
    assert.equal(from('10.128.0.5', {}), '10.128.0.5');
    assert.equal(from('10.128.0.5', { forwardedFor: '203.0.113.1' }), '203.0.113.1');
    // Further trusted hops are skipped; a client-supplied hop further out is not believed.
    assert.equal(
      from('::ffff:10.128.0.5', { forwardedFor: '1.1.1.1, 203.0.113.1, 192.0.2.10' }),
      '203.0.113.1',
    );
    // Forwarded wins over X-Forwarded-For.
    assert.equal(
      from('10.128.0.5', { forwarded: 'for=203.0.113.7;proto=https', forwardedFor: '203.0.113.1' }),
      '203.0.113.7',
    );
    // A hop that is no address stops at the last proxy that can be vouched for.
    assert.equal(from('10.128.0.5', { forwarded: 'for=unknown' }), '10.128.0.5');
    assert.equal(from('10.128.0.5', { forwardedFor: '203.0.113.1, garbage' }), '10.128.0.5');
  });
});
