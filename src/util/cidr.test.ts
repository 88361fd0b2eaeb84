import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressMatcher, parseCidr, type Cidr } from './cidr.ts';

void describe('CIDRs', () => {
  void it('parses CIDRs and single addresses, refusing anything else', () => {
    assert.deepEqual(parseCidr('10.128.0.0/14'), {
      address: '10.128.0.0',
      prefix: 14,
      family: 'ipv4',
    });
    assert.deepEqual(parseCidr('fd00::/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
    assert.deepEqual(parseCidr(' 192.0.2.1 '), {
      address: '192.0.2.1',
      prefix: 32,
      family: 'ipv4',
    });
    assert.deepEqual(parseCidr('[::1]'), { address: '::1', prefix: 128, family: 'ipv6' });
    assert.deepEqual(parseCidr('[fd00::]/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      '10.0.0.0/0008',
      '10.0.0.0/-1',
      'router',
      'router/8',
      '::/129',
      '1.2.3.4/x',
      '',
    ])
      assert.equal(parseCidr(bad), undefined, bad);
  });

  void it('matches addresses of either family within the listed CIDRs only', () => {
    const cidrs = ['10.128.0.0/14', '192.0.2.10', 'fd00::/8']
      .map((text) => parseCidr(text))
      .filter((cidr): cidr is Cidr => cidr !== undefined);
    const matches = addressMatcher(cidrs);
    for (const inside of ['10.128.0.1', '10.131.255.255', '192.0.2.10', 'fd12::1'])
      assert.equal(matches(inside), true, inside);
    for (const outside of ['10.132.0.0', '192.0.2.11', 'fe80::1', '::1', 'router', ''])
      assert.equal(matches(outside), false, outside);
    assert.equal(addressMatcher([])('10.0.0.1'), false);
  });
});
