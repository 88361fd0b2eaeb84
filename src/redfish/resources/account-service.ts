// AccountService: a view of the configured users (Accounts) and the three predefined Redfish
// roles (Roles). Users are managed in the configuration file; the one write is lifting a user's
// failed-login lockout (PATCH Locked: false), every other write answers 405 with Allow.
import { RolePrivileges } from '../../auth/privileges.ts';
import { RoleIds, type Lockout, type LockoutPolicy, type RoleId } from '../../auth/types.ts';
import {
  RedfishError,
  propertyValueNotInList,
  propertyValueTypeError,
  resourceNotFound,
} from '../messages.ts';
import { link, toCollection, odataTypes, uris } from '../odata.ts';
import { etagOf, requireIfMatch } from '../preamble.ts';
import { compileBodySchema, parsePatchBody } from '../request-body.ts';
import { logAudit } from '../write.ts';
import {
  pathParam,
  type AccountView,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';

/** The lockout in force; it counts failures per user and client (the address a trusted proxy
 *  forwards), so a locked-out client does not lock the account for everyone else. */
export const toAccountService = (lockout: LockoutPolicy | undefined): RedfishBody => ({
  '@odata.id': uris.accountService,
  '@odata.type': odataTypes.AccountService,
  Id: 'AccountService',
  Name: 'Account Service',
  Description: 'Users of this service, as configured (read-only: edit the configuration file)',
  ServiceEnabled: true,
  LocalAccountAuth: 'Enabled',
  ...(lockout && {
    AccountLockoutThreshold: lockout.threshold,
    AccountLockoutDuration: lockout.durationSeconds,
    AccountLockoutCounterResetAfter: lockout.counterResetAfterSeconds,
    AccountLockoutCounterResetEnabled: true,
  }),
  Status: { State: 'Enabled', Health: 'OK' },
  Accounts: link(uris.accounts),
  Roles: link(uris.roles),
});

/** A configured user; its password never appears (ManagerAccount.Password reads as null).
 *  `locked`: a failed-login lock of the user is in force at some client. */
export const toAccount = (account: AccountView, locked: boolean): RedfishBody => ({
  '@odata.id': uris.account(account.userName),
  '@odata.type': odataTypes.ManagerAccount,
  Id: account.userName,
  Name: 'User Account',
  Description: `Configured user ${account.userName}`,
  UserName: account.userName,
  RoleId: account.role,
  Enabled: true,
  Locked: locked,
  AccountTypes: ['Redfish'],
  Links: { Role: link(uris.role(account.role)) },
});

export const toAccountCollection = (accounts: readonly AccountView[]): RedfishBody =>
  toCollection(
    uris.accounts,
    odataTypes.ManagerAccountCollection,
    'Accounts Collection',
    accounts.map((a) => uris.account(a.userName)),
  );

export const toRole = (role: RoleId): RedfishBody => ({
  '@odata.id': uris.role(role),
  '@odata.type': odataTypes.Role,
  Id: role,
  Name: `${role} Role`,
  Description: `The predefined Redfish ${role} role`,
  RoleId: role,
  IsPredefined: true,
  AssignedPrivileges: [...RolePrivileges[role]],
  OemPrivileges: [],
});

export const toRoleCollection = (): RedfishBody =>
  toCollection(
    uris.roles,
    odataTypes.RoleCollection,
    'Roles Collection',
    RoleIds.map((r) => uris.role(r)),
  );

/** Privilege registry (ManagerAccount GET): one's own account needs ConfigureSelf; anyone
 *  else's ConfigureUsers or ConfigureManager, and only for users within the caller's chassis
 *  scope (anyone else's account is indistinguishable from a missing one). */
const mayRead = (ctx: AuthenticatedContext, account: AccountView): boolean => {
  const { principal } = ctx;
  if (account.userName === principal.user) return true;
  return (
    (principal.privileges.has('ConfigureUsers') || principal.privileges.has('ConfigureManager')) &&
    ctx.deps.scope.coversUser(principal, account.userName)
  );
};

const readableAccounts = (ctx: AuthenticatedContext): readonly AccountView[] => {
  const accounts = ctx.deps.accounts;
  if (accounts === undefined) throw new Error('account route served without accounts');
  return accounts().filter((a) => mayRead(ctx, a));
};

export const handleAccountServiceGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toAccountService(ctx.deps.lockout?.policy),
});

export const handleAccountCollectionGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toAccountCollection(readableAccounts(ctx)),
});

/** The account the path names, as the caller may see it. */
const addressedAccount = (ctx: AuthenticatedContext): AccountView => {
  const id = pathParam(ctx, 'accountId');
  const account = readableAccounts(ctx).find((a) => a.userName === id);
  if (account === undefined) throw new RedfishError(resourceNotFound('ManagerAccount', id));
  return account;
};

const isLocked = (lockout: Lockout | undefined, account: AccountView): boolean =>
  lockout?.isLocked(account.userName) ?? false;

export const handleAccountGet = (ctx: AuthenticatedContext): HandlerReply => {
  const account = addressedAccount(ctx);
  return { status: 200, body: toAccount(account, isLocked(ctx.deps.lockout, account)) };
};

interface AccountPatch {
  readonly Locked?: boolean;
}

// Locked is the one writable property; the others are shown, hence PropertyNotWritable (users
// live in the configuration file).
const validateAccountPatch = compileBodySchema<AccountPatch>({
  type: 'object',
  properties: { Locked: { type: 'boolean', nullable: true } },
  additionalProperties: false,
});

/** Lifts the user's failed-login locks at every client (registry: ConfigureUsers, for users
 *  within the caller's chassis scope). Answers the account. */
export const handleAccountPatch = (ctx: AuthenticatedContext): HandlerReply => {
  const account = addressedAccount(ctx);
  const { lockout } = ctx.deps;
  const current = toAccount(account, isLocked(lockout, account));
  requireIfMatch(ctx.ifMatch, etagOf(current));
  // A body that validates names Locked (EmptyJSON and additionalProperties rule out the rest),
  // so a null is the only way to get here without it.
  const locked = parsePatchBody(validateAccountPatch, ctx.body, current).Locked;
  if (locked === undefined || locked === null)
    throw new RedfishError(propertyValueTypeError('null', 'Locked'));
  // Redfish: the service sets Locked when the lockout threshold is reached; a client may only
  // clear it.
  if (locked) throw new RedfishError(propertyValueNotInList('true', 'Locked'));
  lockout?.unlock(account.userName);
  (ctx.deps.audit ?? logAudit)(
    {
      user: ctx.principal.user,
      action: 'ManagerAccount.Unlock',
      details: { account: account.userName },
      outcome: 'succeeded',
    },
    ctx,
  );
  return { status: 200, body: toAccount(account, isLocked(lockout, account)) };
};

export const handleRoleCollectionGet = (): HandlerReply => ({
  status: 200,
  body: toRoleCollection(),
});

export const handleRoleGet = (ctx: AuthenticatedContext): HandlerReply => {
  const id = pathParam(ctx, 'roleId');
  const role = RoleIds.find((r) => r === id);
  if (role === undefined) throw new RedfishError(resourceNotFound('Role', id));
  return { status: 200, body: toRole(role) };
};
