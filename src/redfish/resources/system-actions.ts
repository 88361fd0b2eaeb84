// Writes to a ComputerSystem: the Reset action and the boot-override PATCH (BEHAVIOUR.md
// "Power", "Boot override"). Both answer 204: the port does not promise that its caches show a
// write the moment it returns, and a body read too early would report the old state.
import type { VisibleSystem } from '../../auth/types.ts';
import {
  BootModes,
  BootOverrideEnabledValues,
  BootTargets,
  IndicatorLeds,
  type BootChange,
  type BootMode,
  type BootOverrideEnabled,
  type BootTarget,
  type IndicatorLed,
  type WriteOptions,
} from '../../backend/port.ts';
import { callBackend, type BackendFailureContext } from '../backend-failure.ts';
import { supportedResetTypes } from '../enums.ts';
import {
  RedfishError,
  actionParameterValueConflict,
  actionParameterValueError,
  actionParameterValueNotInList,
  propertyValueError,
  propertyValueNotInList,
  resourceInUse,
} from '../messages.ts';
import { etagOf, requireIfMatch } from '../preamble.ts';
import { compileBodySchema, parseActionBody, parsePatchBody } from '../request-body.ts';
import { pathParam, type AuthenticatedContext, type HandlerReply } from '../handler.ts';
import { visibleSystem } from '../visibility.ts';
import { currentSystem } from './systems.ts';

const resetAction = 'ComputerSystem.Reset';

interface ResetParameters {
  readonly ResetType: string;
}

// The value is checked against this platform's ResetTypes after parsing (they depend on its
// capabilities), with the same message a schema enum would give.
const validateReset = compileBodySchema<ResetParameters>({
  type: 'object',
  properties: { ResetType: { type: 'string' } },
  required: ['ResetType'],
  additionalProperties: false,
});

interface BootPatch {
  readonly Boot?: {
    readonly BootSourceOverrideTarget?: BootTarget;
    readonly BootSourceOverrideEnabled?: BootOverrideEnabled;
    readonly BootSourceOverrideMode?: BootMode;
  };
  readonly IndicatorLED?: IndicatorLed;
}

// Only Boot's three override properties and IndicatorLED are writable; everything else the system shows is
// PropertyNotWritable and anything it does not show is PropertyUnknown (request-body.ts).
const validateBootPatch = compileBodySchema<BootPatch>({
  type: 'object',
  properties: {
    Boot: {
      type: 'object',
      nullable: true,
      properties: {
        BootSourceOverrideTarget: { type: 'string', enum: BootTargets, nullable: true },
        BootSourceOverrideEnabled: {
          type: 'string',
          enum: BootOverrideEnabledValues,
          nullable: true,
        },
        BootSourceOverrideMode: { type: 'string', enum: BootModes, nullable: true },
      },
      additionalProperties: false,
    },
    IndicatorLED: { type: 'string', enum: IndicatorLeds, nullable: true },
  },
  additionalProperties: false,
});

/** If-Match was checked against the representation of `system`; the backend re-checks that
 *  version at write time so a change in between still answers 412. */
const writeOptions = (ctx: AuthenticatedContext, system: VisibleSystem): WriteOptions =>
  ctx.ifMatch === undefined ? {} : { expectedVersion: system.snapshot.version };

/** Performs a write, logging who did what to which system either way (STYLE rule 15). */
const perform = async (
  ctx: AuthenticatedContext,
  system: VisibleSystem,
  action: Readonly<Record<string, unknown>>,
  write: () => Promise<void>,
  context: BackendFailureContext,
): Promise<void> => {
  const fields = {
    user: ctx.principal.user,
    system: system.id,
    namespace: system.ref.namespace,
    vm: system.ref.name,
    ...action,
  };
  try {
    await callBackend(write, context);
  } catch (error) {
    ctx.log.warn({ ...fields, err: error }, 'system action failed');
    throw error;
  }
  ctx.log.info(fields, 'system action');
};

export const handleSystemReset = async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  requireIfMatch(ctx.ifMatch, etagOf(currentSystem(ctx, system)));
  const { ResetType } = parseActionBody(validateReset, ctx.body, resetAction);
  const resetType = supportedResetTypes(ctx.deps.backend.capabilities).find((t) => t === ResetType);
  if (resetType === undefined)
    throw new RedfishError(actionParameterValueNotInList(ResetType, 'ResetType', resetAction));
  await perform(
    ctx,
    system,
    { action: resetAction, resetType },
    () =>
      ctx.deps.backend.reset(
        system.ref,
        resetType,
        { user: ctx.principal.user },
        writeOptions(ctx, system),
      ),
    {
      resource: { type: 'ComputerSystem', id: system.id },
      // A transient state (starting, migrating): Ironic retries power-on on exactly this id.
      conflict: actionParameterValueConflict('ResetType', resetType),
      unsupported: actionParameterValueNotInList(resetType, 'ResetType', resetAction),
      invalid: actionParameterValueError('ResetType', resetAction),
    },
  );
  return { status: 204 };
};

/** The property a platform refusal is about: the target when one was given (the usual cause,
 *  a device this VM lacks), else the mode, else the enable flag. */
const refusedProperty = (change: BootChange): { path: string; value: string } =>
  change.target !== undefined
    ? { path: 'Boot/BootSourceOverrideTarget', value: change.target }
    : change.mode !== undefined
      ? { path: 'Boot/BootSourceOverrideMode', value: change.mode }
      : { path: 'Boot/BootSourceOverrideEnabled', value: change.enabled ?? '' };

export const handleSystemPatch = async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  const current = currentSystem(ctx, system);
  requireIfMatch(ctx.ifMatch, etagOf(current));
  const { Boot = {}, IndicatorLED } = parsePatchBody(validateBootPatch, ctx.body, current);
  const change: BootChange = {
    ...(Boot.BootSourceOverrideTarget === undefined
      ? {}
      : { target: Boot.BootSourceOverrideTarget }),
    ...(Boot.BootSourceOverrideEnabled === undefined
      ? {}
      : { enabled: Boot.BootSourceOverrideEnabled }),
    ...(Boot.BootSourceOverrideMode === undefined ? {} : { mode: Boot.BootSourceOverrideMode }),
  };
  // Targets this VM cannot boot from are outside its AllowableValues, like unknown values.
  if (change.target !== undefined && !system.snapshot.bootTargets.includes(change.target))
    throw new RedfishError(propertyValueNotInList(change.target, 'Boot/BootSourceOverrideTarget'));
  const setLed = IndicatorLED !== undefined && IndicatorLED !== system.snapshot.indicatorLed;
  if (setLed)
    await perform(
      ctx,
      system,
      { action: 'SetIndicatorLED', led: IndicatorLED },
      () =>
        ctx.deps.backend.setIndicatorLed(
          system.ref,
          IndicatorLED,
          { user: ctx.principal.user },
          writeOptions(ctx, system),
        ),
      {
        resource: { type: 'ComputerSystem', id: system.id },
        conflict: resourceInUse(),
        unsupported: propertyValueNotInList(IndicatorLED, 'IndicatorLED'),
        invalid: propertyValueError('IndicatorLED'),
      },
    );
  if (Object.keys(change).length === 0) return { status: 204 };
  const refused = refusedProperty(change);
  await perform(
    ctx,
    system,
    { action: 'SetBootOverride', ...change },
    () =>
      ctx.deps.backend.setBoot(
        system.ref,
        change,
        { user: ctx.principal.user },
        // If-Match held for this request; the LED write just moved the version on.
        setLed ? {} : writeOptions(ctx, system),
      ),
    {
      resource: { type: 'ComputerSystem', id: system.id },
      conflict: resourceInUse(),
      unsupported: propertyValueNotInList(refused.value, refused.path),
      invalid: propertyValueError(refused.path),
    },
  );
  return { status: 204 };
};
