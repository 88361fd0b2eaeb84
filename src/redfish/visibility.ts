// The first step of every handler that touches VMs: resolve what the caller may see through the
// Scope, answering 404 for anything outside it exactly as for anything missing (STYLE rule 4).
import type { ChassisView, VisibleSystem } from '../auth/types.ts';
import { defaultRetryAfterSeconds } from './backend-failure.ts';
import {
  RedfishError,
  generalError,
  resourceNotFound,
  serviceTemporarilyUnavailable,
} from './messages.ts';
import { pathParam, type AuthenticatedContext } from './handler.ts';

/** Until the caches have synced the service knows nothing it could answer truthfully. */
const requireReady = (ctx: AuthenticatedContext): void => {
  if (!ctx.deps.backend.isReady())
    throw new RedfishError(serviceTemporarilyUnavailable(defaultRetryAfterSeconds));
};

/** Systems the caller may see, in Id order. */
export const visibleSystems = (ctx: AuthenticatedContext): readonly VisibleSystem[] => {
  requireReady(ctx);
  return ctx.deps.scope.systems(ctx.principal);
};

/**
 * One system by Id (canonical or alias). `type` names the resource the URL addresses, so a
 * Manager URL reports a missing Manager. An ambiguous legacy Id (two visible VMs share the name)
 * answers 409: the URL is well formed but the current state gives it two meanings; Base has no
 * message for that, so GeneralError carries the service-defined resolution the registry asks for.
 */
export const visibleSystem = (
  ctx: AuthenticatedContext,
  id: string,
  type = 'ComputerSystem',
): VisibleSystem => {
  requireReady(ctx);
  const lookup = ctx.deps.scope.lookup(ctx.principal, id);
  if (lookup.found) return lookup.system;
  if (lookup.ambiguous)
    throw new RedfishError(
      generalError(
        409,
        `The Id '${id}' names more than one system you can see; address the system by its ` +
          'unique Id (<namespace>.<vm-name>) as listed in the Systems collection.',
      ),
    );
  throw new RedfishError(resourceNotFound(type, id));
};

/** The system a URL under a system (`:systemId`) or under its Manager (`:managerId`) addresses;
 *  a missing one is reported as the resource the URL names. */
export const hostedSystem = (
  ctx: AuthenticatedContext,
  host: 'system' | 'manager',
): VisibleSystem =>
  host === 'system'
    ? visibleSystem(ctx, pathParam(ctx, 'systemId'))
    : visibleSystem(ctx, pathParam(ctx, 'managerId'), 'Manager');

/** Systems of one chassis the caller may see (empty when the chassis is not visible). */
export const visibleSystemsOfChassis = (
  ctx: AuthenticatedContext,
  chassis: string,
): readonly VisibleSystem[] => {
  requireReady(ctx);
  return ctx.deps.scope.systemsOfChassis(ctx.principal, chassis);
};

/** Chassis the caller may see, in name order (configuration only: no backend needed). */
export const visibleChassisList = (ctx: AuthenticatedContext): readonly ChassisView[] =>
  ctx.deps.scope.chassis(ctx.principal);

export const visibleChassis = (ctx: AuthenticatedContext, name: string): ChassisView => {
  const chassis = visibleChassisList(ctx).find((c) => c.name === name);
  if (chassis === undefined) throw new RedfishError(resourceNotFound('Chassis', name));
  return chassis;
};
