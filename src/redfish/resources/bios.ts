// Bios under a system: a small, truthful attribute set (boot mode, secure boot, the SMBIOS serial
// and UUID). Bios shows what the running firmware has; Bios/Settings shows the VM's spec, which
// KubeVirt applies at the next start — the @Redfish.Settings pattern with ApplyTime OnReset.
import type { VisibleSystem } from '../../auth/types.ts';
import { BootModes, type BootMode } from '../../backend/port.ts';
import type { BackendFailureContext } from '../backend-failure.ts';
import {
  RedfishError,
  propertyValueConflict,
  propertyValueError,
  resourceInUse,
} from '../messages.ts';
import { etagOf, requireIfMatch } from '../preamble.ts';
import { compileBodySchema, parsePatchBody } from '../request-body.ts';
import { link, odataTypes, uris } from '../odata.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import { visibleSystem } from '../visibility.ts';
import { performWrite } from '../write.ts';

const onOff = ['Enabled', 'Disabled'] as const;
type OnOff = (typeof onOff)[number];

interface Firmware {
  readonly mode: BootMode;
  readonly secureBoot: boolean;
}

const attributes = (system: VisibleSystem, firmware: Firmware): RedfishBody => ({
  BootMode: firmware.mode,
  SecureBoot: firmware.secureBoot ? 'Enabled' : 'Disabled',
  SystemUUID: system.snapshot.uuid,
  ...(system.snapshot.serialNumber === undefined
    ? {}
    : { SerialNumber: system.snapshot.serialNumber }),
});

/** What the VM's spec says: the firmware of its next start. */
const configured = (system: VisibleSystem): Firmware => ({
  mode: system.snapshot.boot.mode,
  secureBoot: system.snapshot.secureBoot ?? false,
});

/** BiosVersion: the firmware KubeVirt gives the guest (OVMF for EFI, its secure-boot build when
 *  secure boot is on; SeaBIOS for BIOS) and the emulated machine type when the cluster states
 *  it — the running instance's when there is one. */
export const biosVersion = (system: VisibleSystem): string => {
  const firmware = system.snapshot.currentBoot ?? configured(system);
  const kind =
    firmware.mode === 'UEFI' ? (firmware.secureBoot ? 'OVMF (Secure Boot)' : 'OVMF') : 'SeaBIOS';
  const machine = system.snapshot.machineType;
  return machine === undefined ? kind : `${kind}, machine ${machine}`;
};

export const toBios = (system: VisibleSystem): RedfishBody => ({
  '@odata.id': uris.bios(system.id),
  '@odata.type': odataTypes.Bios,
  Id: 'BIOS',
  Name: 'BIOS Configuration Current Settings',
  Description: 'The firmware settings of the running VM (of its definition while it is off)',
  Attributes: attributes(system, system.snapshot.currentBoot ?? configured(system)),
  '@Redfish.Settings': {
    '@odata.type': '#Settings.v1_4_0.Settings',
    SettingsObject: link(uris.biosSettings(system.id)),
    SupportedApplyTimes: ['OnReset'],
  },
});

export const toBiosSettings = (system: VisibleSystem): RedfishBody => ({
  '@odata.id': uris.biosSettings(system.id),
  '@odata.type': odataTypes.Bios,
  Id: 'Settings',
  Name: 'BIOS Configuration Pending Settings',
  Description: 'The firmware settings the VM boots with at its next start',
  Attributes: attributes(system, configured(system)),
});

export const handleBiosGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return { status: 200, body: toBios(system) };
};

export const handleBiosSettingsGet = (ctx: AuthenticatedContext): HandlerReply => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  return { status: 200, body: toBiosSettings(system) };
};

interface SettingsPatch {
  readonly Attributes?: { readonly BootMode?: BootMode; readonly SecureBoot?: OnOff };
  readonly '@Redfish.SettingsApplyTime'?: {
    readonly '@odata.type'?: string;
    readonly ApplyTime?: 'OnReset';
  };
}

// SerialNumber and SystemUUID are shown but not writable (PropertyNotWritable). A client may
// state when the settings apply (DSP0266 "Settings resource": @Redfish.SettingsApplyTime, as
// Ironic's BIOS interface sends whenever SupportedApplyTimes lists OnReset); OnReset, the one
// time offered, is the only value accepted.
const validatePatch = compileBodySchema<SettingsPatch>({
  type: 'object',
  properties: {
    '@Redfish.SettingsApplyTime': {
      type: 'object',
      nullable: true,
      properties: {
        '@odata.type': { type: 'string', nullable: true },
        ApplyTime: { type: 'string', enum: ['OnReset'], nullable: true },
      },
      additionalProperties: false,
    },
    Attributes: {
      type: 'object',
      nullable: true,
      properties: {
        BootMode: { type: 'string', enum: BootModes, nullable: true },
        SecureBoot: { type: 'string', enum: onOff, nullable: true },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});

const failure = (system: VisibleSystem, path: string): BackendFailureContext => ({
  resource: { type: 'Bios', id: system.id },
  conflict: resourceInUse(),
  unsupported: propertyValueError(path),
  invalid: propertyValueError(path),
});

/** Writes the VM's firmware: the mode first (switching to UEFI turns secure boot off, as in
 *  boot.ts), then secure boot, each one write with its own audit record. If-Match pins the
 *  first write only; the second follows it within the same request. */
export const handleBiosSettingsPatch = async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
  const system = visibleSystem(ctx, pathParam(ctx, 'systemId'));
  const current = toBiosSettings(system);
  requireIfMatch(ctx.ifMatch, etagOf(current));
  const { Attributes = {} } = parsePatchBody(validatePatch, ctx.body, current);
  const now = configured(system);
  const mode = Attributes.BootMode ?? now.mode;
  // Leaving UEFI ends secure boot; otherwise it stays as it is unless asked.
  const secureBoot =
    Attributes.SecureBoot === undefined
      ? mode === 'UEFI' && now.secureBoot
      : Attributes.SecureBoot === 'Enabled';
  if (secureBoot && mode !== 'UEFI')
    throw new RedfishError(propertyValueConflict('Attributes/SecureBoot', 'Attributes/BootMode'));
  const actor = { user: ctx.principal.user };
  const modeChanges = mode !== now.mode;
  if (modeChanges)
    await performWrite(
      ctx,
      {
        system,
        action: 'SetBootMode',
        details: { bootMode: mode },
        version: system.snapshot.version,
      },
      (options) => ctx.deps.backend.setBoot(system.ref, { mode }, actor, options),
      failure(system, 'Attributes/BootMode'),
    );
  // A mode switch to UEFI leaves secure boot off; ask for it whenever it is wanted.
  if (secureBoot !== now.secureBoot || (modeChanges && secureBoot))
    await performWrite(
      ctx,
      {
        system,
        action: 'SetSecureBoot',
        details: { secureBoot },
        // If-Match held for this request; the mode write just before moved the version on, and
        // once it has landed the secure-boot half is made even if the client hangs up.
        ...(modeChanges ? { completes: true } : { version: system.snapshot.version }),
      },
      (options) => ctx.deps.backend.setSecureBoot(system.ref, secureBoot, actor, options),
      failure(system, 'Attributes/SecureBoot'),
    );
  return { status: 204 };
};
