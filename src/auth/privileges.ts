// Privileges of the Redfish predefined roles (DSP0266 "Roles"; the privilege names are those of
// Redfish_1.8.0_PrivilegeRegistry.json's PrivilegesUsed).
import type { Privilege, RoleId } from './types.ts';

export const RolePrivileges = {
  Administrator: [
    'Login',
    'ConfigureManager',
    'ConfigureUsers',
    'ConfigureComponents',
    'ConfigureSelf',
  ],
  Operator: ['Login', 'ConfigureComponents', 'ConfigureSelf'],
  ReadOnly: ['Login', 'ConfigureSelf'],
} as const satisfies Record<RoleId, readonly Privilege[]>;

const roleSets: Record<RoleId, ReadonlySet<Privilege>> = {
  Administrator: new Set(RolePrivileges.Administrator),
  Operator: new Set(RolePrivileges.Operator),
  ReadOnly: new Set(RolePrivileges.ReadOnly),
};

export const privilegesOf = (role: RoleId): ReadonlySet<Privilege> => roleSets[role];
