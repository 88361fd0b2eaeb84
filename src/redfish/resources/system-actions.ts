// Writes to a ComputerSystem: the Reset action and the boot-override PATCH (BEHAVIOUR.md
// "Power", "Boot override"), each in the one write shape of write.ts. Both answer 204 with no
// body: a reset's effect (a guest starting or stopping) outlasts the request, and the port
// returns a boot change only once its cache shows it, so the client's next GET reads the new
// state (read-your-writes).
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
} from '../../backend/port.ts';
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
import { performWrite } from '../write.ts';
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

export const handleSystemReset = async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  requireIfMatch(ctx.ifMatch, etagOf(currentSystem(ctx, system)));
  const { ResetType } = parseActionBody(validateReset, ctx.body, resetAction);
  const resetType = supportedResetTypes(ctx.deps.backend.capabilities).find((t) => t === ResetType);
  if (resetType === undefined)
    throw new RedfishError(actionParameterValueNotInList(ResetType, 'ResetType', resetAction));
  await performWrite(
    ctx,
    { system, action: resetAction, details: { resetType }, version: system.snapshot.version },
    (options) =>
      ctx.deps.backend.reset(system.ref, resetType, { user: ctx.principal.user }, options),
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
    await performWrite(
      ctx,
      {
        system,
        action: 'SetIndicatorLED',
        details: { led: IndicatorLED },
        version: system.snapshot.version,
      },
      (options) =>
        ctx.deps.backend.setIndicatorLed(
          system.ref,
          IndicatorLED,
          { user: ctx.principal.user },
          options,
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
  await performWrite(
    ctx,
    {
      system,
      action: 'SetBootOverride',
      details: { ...change },
      // If-Match held for this request; an LED write just before moved the version on, and
      // once it has landed the boot half is made even if the client hangs up.
      ...(setLed ? { completes: true } : { version: system.snapshot.version }),
    },
    (options) =>
      ctx.deps.backend.setBoot(system.ref, change, { user: ctx.principal.user }, options),
    {
      resource: { type: 'ComputerSystem', id: system.id },
      conflict: resourceInUse(),
      unsupported: propertyValueNotInList(refused.value, refused.path),
      invalid: propertyValueError(refused.path),
    },
  );
  return { status: 204 };
};
