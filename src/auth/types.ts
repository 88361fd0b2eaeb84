// The contract between authentication/scope (src/auth/) and the Redfish layer: who is calling,
// what they may do, and which systems exist for them.
import type { VmRef, VmSnapshot } from '../backend/port.ts';
import type { ClientOrigin } from './client-address.ts';
import type { LockoutPolicy } from './rate-limit.ts';

export type { ClientOrigin } from './client-address.ts';
export type { LockoutPolicy } from './rate-limit.ts';

/** Redfish roles (DMTF Role.v1 predefined roles). */
export const RoleIds = ['Administrator', 'Operator', 'ReadOnly'] as const;
export type RoleId = (typeof RoleIds)[number];

/** Privileges from the DMTF privilege registry (Redfish_1.8.0_PrivilegeRegistry.json). */
export const Privileges = [
  'Login',
  'ConfigureComponents',
  'ConfigureManager',
  'ConfigureUsers',
  'ConfigureSelf',
] as const;
export type Privilege = (typeof Privileges)[number];

/** The caller, once authenticated. */
export interface Principal {
  readonly user: string;
  readonly role: RoleId;
  readonly privileges: ReadonlySet<Privilege>;
  /** Names of the chassis this user may see. */
  readonly chassis: readonly string[];
  /** Set when the request authenticated with X-Auth-Token. */
  readonly sessionId?: string;
}

/** `unavailable`: the credentials could not be checked because the cluster is unreachable. */
export type AuthFailureReason = 'missing' | 'invalid' | 'rateLimited' | 'expired' | 'unavailable';

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: AuthFailureReason; readonly retryAfterSeconds?: number };

/** What the authenticator needs from a request: the credentials, and where it came from (the
 *  forwarding headers count only from a trusted proxy, see client-address.ts). */
export interface Credentials extends ClientOrigin {
  readonly authorization?: string | undefined;
  readonly authToken?: string | undefined;
}

export interface Authenticator {
  authenticate(credentials: Credentials): Promise<AuthResult>;
  /** The principal authenticate() would answer with, when it can be known from memory alone (a
   *  Basic credential verified before, a cached live session): the cached-read path's check.
   *  Undefined whenever authenticate() has work to do or would refuse. Optional: without it
   *  every request takes the full path. */
  cached?(credentials: Credentials): Principal | undefined;
  /** Verifies a user name and password for session login (same rate limit as Basic). */
  verifyPassword(username: string, password: string, origin: ClientOrigin): Promise<AuthResult>;
  /** The failed-login lockout, as AccountService reports and manages it. */
  readonly lockout: Lockout;
}

/** The failed-login lockout of the users (auth/rate-limit.ts). */
export interface Lockout {
  /** The policy in force per user and client (AccountService's AccountLockout* properties). */
  readonly policy: LockoutPolicy;
  /** Whether the user is locked out at any client (ManagerAccount.Locked). */
  isLocked(user: string): boolean;
  /** Lifts every lock of the user and forgets its failures (PATCH Locked: false). */
  unlock(user: string): void;
}

/** A configured chassis, as the caller may see it. */
export interface ChassisView {
  readonly name: string;
  readonly description?: string;
  readonly namespace: string;
}

/** A system visible to the caller: its canonical Redfish Id and where it lives. */
export interface VisibleSystem {
  readonly id: string;
  readonly ref: VmRef;
  readonly chassis: string;
  readonly snapshot: VmSnapshot;
}

export type SystemLookup =
  | { readonly found: true; readonly system: VisibleSystem }
  | { readonly found: false; readonly ambiguous: boolean };

/** The one place that decides which systems and chassis a caller can see. */
export interface Scope {
  /** Chassis visible to the principal, in name order. */
  chassis(principal: Principal): readonly ChassisView[];
  /** Systems visible to the principal, in Id order, each listed once even when several of
   *  the principal's chassis cover it (it belongs to the first such chassis by name). */
  systems(principal: Principal): readonly VisibleSystem[];
  /** Systems of one chassis visible to the principal (empty if the chassis is not visible). */
  systemsOfChassis(principal: Principal, chassis: string): readonly VisibleSystem[];
  /** Resolves a system Id (canonical, or an unambiguous alias). Not found and outside the
   *  caller's scope are the same answer. */
  lookup(principal: Principal, id: string): SystemLookup;
  /** Whether the principal's scope covers every chassis: the condition for settings that
   *  apply to the whole service (SessionTimeout). */
  coversAll(principal: Principal): boolean;
  /** Whether another user lies within the principal's scope (every chassis of theirs is one of
   *  the principal's): only then may the principal see that user's account and sessions. A
   *  user no longer configured is covered only by a principal who covers everything. */
  coversUser(principal: Principal, user: string): boolean;
}
