import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import bcrypt from 'bcrypt';
import { PasswordSecret } from '../config/secret.ts';
import { ManualClock } from '../util/clock.ts';
import { createPasswordVerifier, hashPassword, plainPasswordsEqual } from './passwords.ts';

// Low cost keeps the suite fast; the algorithm is the same at any cost.
const hashA = bcrypt.hashSync('correct horse', 4);
const hashB = bcrypt.hashSync('battery staple', 4);

void describe('plainPasswordsEqual', () => {
  void it('compares content, whatever the lengths', () => {
    assert.equal(plainPasswordsEqual('s3cret', 's3cret'), true);
    assert.equal(plainPasswordsEqual('s3cret', 's3creT'), false);
    assert.equal(plainPasswordsEqual('s3cret', 's3cret-and-more'), false);
    assert.equal(plainPasswordsEqual('', 'x'), false);
    assert.equal(plainPasswordsEqual('pä', 'pä'), true);
  });

  void it('compares with crypto.timingSafeEqual over equal-length digests', (t) => {
    const spy = t.mock.method(crypto, 'timingSafeEqual');
    plainPasswordsEqual('short', 'a much longer candidate');
    assert.equal(spy.mock.callCount(), 1);
    const [a, b] = spy.mock.calls[0]!.arguments as [Buffer, Buffer];
    assert.equal(a.length, 32);
    assert.equal(b.length, 32);
  });
});

void describe('password verifier', () => {
  void it('verifies plain passwords and bcrypt hashes ($2a$, $2b$, $2y$)', async () => {
    const verifier = createPasswordVerifier({ clock: new ManualClock() });
    const decoy = PasswordSecret.plain('x');
    assert.equal(await verifier.verify(PasswordSecret.plain('pw'), 'pw', decoy), true);
    assert.equal(await verifier.verify(PasswordSecret.plain('pw'), 'pw2', decoy), false);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const secret = PasswordSecret.bcrypt(hashA.replace(/^\$2b\$/, prefix));
      assert.equal(await verifier.verify(secret, 'correct horse', decoy), true, prefix);
      assert.equal(await verifier.verify(secret, 'wrong horse', decoy), false, prefix);
    }
  });

  void it('hashPassword makes bcrypt hashes the verifier accepts', async () => {
    const hash = await hashPassword('from the cli', 4);
    assert.match(hash, /^\$2b\$04\$/);
    const verifier = createPasswordVerifier({ clock: new ManualClock() });
    assert.equal(
      await verifier.verify(PasswordSecret.bcrypt(hash), 'from the cli', PasswordSecret.plain('')),
      true,
    );
  });

  void it('does a bcrypt check against the decoy for unknown users and answers false', async (t) => {
    const verifier = createPasswordVerifier({ clock: new ManualClock() });
    const compare = t.mock.method(bcrypt, 'compare');
    // Even the decoy's own password does not log an unknown user in.
    assert.equal(
      await verifier.verify(undefined, 'correct horse', PasswordSecret.bcrypt(hashA)),
      false,
    );
    assert.equal(await verifier.verify(undefined, 'guess', PasswordSecret.bcrypt(hashA)), false);
    assert.equal(compare.mock.callCount(), 2);
    assert.equal(compare.mock.calls[1]!.arguments[1], hashA);
  });

  void it('remembers bcrypt successes for a while, never failures', async (t) => {
    const clock = new ManualClock();
    const verifier = createPasswordVerifier({ clock, cacheTtlMs: 60_000 });
    const compare = t.mock.method(bcrypt, 'compare');
    const secret = PasswordSecret.bcrypt(hashA);
    const decoy = PasswordSecret.plain('');
    assert.equal(await verifier.verify(secret, 'correct horse', decoy), true);
    assert.equal(await verifier.verify(secret, 'correct horse', decoy), true);
    assert.equal(compare.mock.callCount(), 1);
    assert.equal(await verifier.verify(secret, 'wrong', decoy), false);
    assert.equal(await verifier.verify(secret, 'wrong', decoy), false);
    assert.equal(compare.mock.callCount(), 3);
    // A changed hash (password changed by a reload) never hits the old entry.
    assert.equal(
      await verifier.verify(PasswordSecret.bcrypt(hashB), 'correct horse', decoy),
      false,
    );
    assert.equal(compare.mock.callCount(), 4);
    await clock.advance(60_001);
    assert.equal(await verifier.verify(secret, 'correct horse', decoy), true);
    assert.equal(compare.mock.callCount(), 5);
  });

  void it('bounds the remembered successes', async (t) => {
    const verifier = createPasswordVerifier({ clock: new ManualClock(), cacheEntries: 1 });
    const compare = t.mock.method(bcrypt, 'compare');
    const a = PasswordSecret.bcrypt(hashA);
    const b = PasswordSecret.bcrypt(hashB);
    const decoy = PasswordSecret.plain('');
    await verifier.verify(a, 'correct horse', decoy);
    await verifier.verify(b, 'battery staple', decoy);
    await verifier.verify(a, 'correct horse', decoy);
    assert.equal(compare.mock.callCount(), 3);
  });
});
