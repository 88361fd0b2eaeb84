// AccountService: a read-only view of the configured users (Accounts) and the three predefined
// Redfish roles (Roles). Users are managed in the configuration file, so no write is routed here
// and every write answers 405 with Allow.
import { RolePrivileges } from '../../auth/privileges.ts';
import { RoleIds, type LockoutPolicy, type RoleId } from '../../auth/types.ts';
import { RedfishError, resourceNotFound } from '../messages.ts';
import { link, toCollection, odataTypes, uris } from '../odata.ts';
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

/** A configured user; its password never appears (ManagerAccount.Password reads as null). */
export const toAccount = (account: AccountView): RedfishBody => ({
  '@odata.id': uris.account(account.userName),
  '@odata.type': odataTypes.ManagerAccount,
  Id: account.userName,
  Name: 'User Account',
  Description: `Configured user ${account.userName}`,
  UserName: account.userName,
  RoleId: account.role,
  Enabled: true,
  Locked: false,
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
  body: toAccountService(ctx.deps.lockout),
});

export const handleAccountCollectionGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toAccountCollection(readableAccounts(ctx)),
});

export const handleAccountGet = (ctx: AuthenticatedContext): HandlerReply => {
  const id = pathParam(ctx, 'accountId');
  const account = readableAccounts(ctx).find((a) => a.userName === id);
  if (account === undefined) throw new RedfishError(resourceNotFound('ManagerAccount', id));
  return { status: 200, body: toAccount(account) };
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
