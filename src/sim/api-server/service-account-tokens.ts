// ServiceAccount tokens: bound JWTs as the TokenRequest API issues them (issuer, audiences,
// expiry, the kubernetes.io claim naming the ServiceAccount and its uid), and their
// authentication: signature, expiry, audience, and the ServiceAccount still existing with the
// same uid. Signed with HS256 and a per-server key (the real server signs RS256 with the
// service-account key; clients never check the signature).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../util/clock.ts';
import type { KubeObject, ObjectStore } from '../types.ts';
import type { UserInfo } from './rbac-authorizer.ts';

/** The API server's own audience and issuer (--api-audiences, --service-account-issuer). */
export const apiAudience = 'https://kubernetes.default.svc.cluster.local';

interface Claims {
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
  readonly iss: string;
  readonly jti: string;
  readonly sub: string;
  readonly 'kubernetes.io': {
    readonly namespace: string;
    readonly serviceaccount: { readonly name: string; readonly uid: string };
  };
}

export interface TokenIssuer {
  /** A token for the ServiceAccount object; expiry in seconds from now. */
  mint(
    serviceAccount: KubeObject,
    audiences: readonly string[],
    expirationSeconds: number,
  ): { token: string; expiresAt: number };
  /** The user a bearer token authenticates, or undefined (401). */
  authenticate(token: string): UserInfo | undefined;
}

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

export const createTokenIssuer = (store: ObjectStore, clock: Clock): TokenIssuer => {
  const key = randomBytes(32);
  const kid = randomBytes(16).toString('base64url');
  const sign = (data: string): Buffer => createHmac('sha256', key).update(data).digest();
  return {
    mint(serviceAccount, audiences, expirationSeconds) {
      const now = Math.floor(clock.now() / 1000);
      const namespace = serviceAccount.metadata.namespace ?? '';
      const name = serviceAccount.metadata.name ?? '';
      const claims: Claims = {
        aud: audiences,
        exp: now + expirationSeconds,
        iat: now,
        nbf: now,
        iss: apiAudience,
        jti: randomUUID(),
        sub: `system:serviceaccount:${namespace}:${name}`,
        'kubernetes.io': {
          namespace,
          serviceaccount: { name, uid: serviceAccount.metadata.uid ?? '' },
        },
      };
      const unsigned = `${base64url({ alg: 'HS256', kid })}.${base64url(claims)}`;
      return {
        token: `${unsigned}.${sign(unsigned).toString('base64url')}`,
        expiresAt: claims.exp * 1000,
      };
    },
    authenticate(token) {
      const [header = '', payload = '', signature = ''] = token.split('.');
      const expected = sign(`${header}.${payload}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      let claims: Claims;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
      } catch {
        return undefined;
      }
      if (claims.exp * 1000 <= clock.now() || !claims.aud.includes(apiAudience)) return undefined;
      const { namespace, serviceaccount } = claims['kubernetes.io'];
      // A bound token dies with its ServiceAccount, even one recreated under the same name.
      const current = store.get('serviceaccounts', namespace, serviceaccount.name);
      if (current?.metadata.uid !== serviceaccount.uid) return undefined;
      return {
        name: claims.sub,
        groups: [
          'system:serviceaccounts',
          `system:serviceaccounts:${namespace}`,
          'system:authenticated',
        ],
      };
    },
  };
};
