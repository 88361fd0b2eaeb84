import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidV5 } from './uuid.ts';

test('uuidV5 matches the RFC 9562 DNS example', () => {
  // RFC 9562 Appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace.
  assert.equal(
    uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'),
    '2ed6657d-e927-568b-95e1-2665a8aea6a2',
  );
});
