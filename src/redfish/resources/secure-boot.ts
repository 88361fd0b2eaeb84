// SecureBoot under a system: the VM's EFI secureBoot flag. A PATCH of SecureBootEnable changes the
// VM (with the SMM KubeVirt requires) and takes effect at the next start, as on a server; the
// running instance's firmware is SecureBootCurrentBoot. ResetKeys offers only what is true here.
import type { VisibleSystem } from '../../auth/types.ts';
import type { VmSnapshot } from '../../backend/port.ts';
import type { ResetKeysType, SecureBootCurrentBootType, SecureBootModeType } from '../enums.ts';
import {
  RedfishError,
  actionNotSupported,
  actionParameterValueNotInList,
  propertyValueConflict,
  propertyValueError,
} from '../messages.ts';
import { etagOf, requireIfMatch } from '../preamble.ts';
import { compileBodySchema, parseActionBody, parsePatchBody } from '../request-body.ts';
import { odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem } from '../visibility.ts';
import { performWrite } from '../write.ts';

const resetKeysAction = 'SecureBoot.ResetKeys';

/** KubeVirt's secure-boot OVMF build has the default (Microsoft) keys enrolled, so a PK exists
 *  (UserMode); the plain EFI build has none (SetupMode). BIOS has no UEFI key state at all. */
const modeOf = (vm: VmSnapshot): SecureBootModeType | undefined =>
  vm.boot.mode !== 'UEFI' ? undefined : vm.secureBoot ? 'UserMode' : 'SetupMode';

/** Without persistent EFI variables every boot starts from the default keys, so resetting to
 *  them is already true; with a persistent NVRAM the service cannot rewrite the keys in it. */
const resetKeysTypes = (vm: VmSnapshot): readonly ResetKeysType[] =>
  vm.boot.mode === 'UEFI' && !vm.efiVarsPersistent ? ['ResetAllKeysToDefault'] : [];

export const toSecureBoot = (system: VisibleSystem): RedfishBody => {
  const vm = system.snapshot;
  const current: SecureBootCurrentBootType | undefined =
    vm.currentBoot === undefined ? undefined : vm.currentBoot.secureBoot ? 'Enabled' : 'Disabled';
  const mode = modeOf(vm);
  return {
    '@odata.id': uris.secureBoot(system.id),
    '@odata.type': odataTypes.SecureBoot,
    Id: 'SecureBoot',
    Name: 'UEFI Secure Boot',
    Description: 'Secure boot of the VM firmware; changes apply at the next reset',
    SecureBootEnable: vm.secureBoot ?? false,
    ...(current === undefined ? {} : { SecureBootCurrentBoot: current }),
    ...(mode === undefined ? {} : { SecureBootMode: mode }),
    Actions: {
      '#SecureBoot.ResetKeys': {
        target: uris.secureBootResetKeys(system.id),
        'ResetKeysType@Redfish.AllowableValues': [...resetKeysTypes(vm)],
      },
    },
  };
};

export const handleSecureBootGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return { status: 200, body: toSecureBoot(system) };
};

interface SecureBootPatch {
  readonly SecureBootEnable?: boolean;
}

const validatePatch = compileBodySchema<SecureBootPatch>({
  type: 'object',
  properties: { SecureBootEnable: { type: 'boolean', nullable: true } },
  additionalProperties: false,
});

export const handleSecureBootPatch = async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  const current = toSecureBoot(system);
  requireIfMatch(ctx.ifMatch, etagOf(current));
  const { SecureBootEnable } = parsePatchBody(validatePatch, ctx.body, current);
  if (SecureBootEnable === undefined || SecureBootEnable === system.snapshot.secureBoot)
    return { status: 204 };
  await performWrite(
    ctx,
    {
      system,
      action: 'SetSecureBoot',
      details: { secureBoot: SecureBootEnable },
      version: system.snapshot.version,
    },
    (options) =>
      ctx.deps.backend.setSecureBoot(
        system.ref,
        SecureBootEnable,
        { user: ctx.principal.user },
        options,
      ),
    {
      resource: { type: 'SecureBoot', id: system.id },
      // The one refusal: secure boot on a VM that boots BIOS.
      conflict: propertyValueConflict('SecureBootEnable', 'BootSourceOverrideMode'),
      unsupported: propertyValueError('SecureBootEnable'),
      invalid: propertyValueError('SecureBootEnable'),
    },
  );
  return { status: 204 };
};

interface ResetKeysParameters {
  readonly ResetKeysType: string;
}

const validateResetKeys = compileBodySchema<ResetKeysParameters>({
  type: 'object',
  properties: { ResetKeysType: { type: 'string' } },
  required: ['ResetKeysType'],
  additionalProperties: false,
});

/** Succeeds only for what is already true (see resetKeysTypes); the service never claims to have
 *  changed keys it cannot reach. The write shape up to the body (scope, If-Match, body); there
 *  is no port call to make, so nothing to audit. */
export const handleSecureBootResetKeys = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  requireIfMatch(ctx.ifMatch, etagOf(toSecureBoot(system)));
  const { ResetKeysType } = parseActionBody(validateResetKeys, ctx.body, resetKeysAction);
  const allowed = resetKeysTypes(system.snapshot);
  if (allowed.length === 0) throw new RedfishError(actionNotSupported(resetKeysAction));
  if (!allowed.some((t) => t === ResetKeysType))
    throw new RedfishError(
      actionParameterValueNotInList(ResetKeysType, 'ResetKeysType', resetKeysAction),
    );
  return { status: 204 };
};
