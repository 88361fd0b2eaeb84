// DMTF enumerations the service reads or writes, declared once: bodies, AllowableValues and
// request validation all use these lists. enums.test.ts checks each against the DMTF schema.
import {
  BootModes,
  BootOverrideEnabledValues,
  PowerActions,
  type BackendCapabilities,
  type PowerAction,
} from '../backend/port.ts';

/** Each enum with the DMTF JSON Schema file and definition it comes from. */
export const dmtfEnums = {
  ResetType: {
    schema: 'Resource.json',
    values: [
      'On',
      'ForceOff',
      'GracefulShutdown',
      'GracefulRestart',
      'ForceRestart',
      'Nmi',
      'ForceOn',
      'PushPowerButton',
      'PowerCycle',
      'Suspend',
      'Pause',
      'Resume',
      'FullPowerCycle',
    ],
  },
  PowerState: {
    schema: 'Resource.json',
    values: ['On', 'Off', 'PoweringOn', 'PoweringOff', 'Paused'],
  },
  Health: { schema: 'Resource.json', values: ['OK', 'Warning', 'Critical'] },
  State: {
    schema: 'Resource.json',
    values: [
      'Enabled',
      'Disabled',
      'StandbyOffline',
      'StandbySpare',
      'InTest',
      'Starting',
      'Absent',
      'UnavailableOffline',
      'Deferring',
      'Quiesced',
      'Updating',
      'Qualified',
      'Degraded',
    ],
  },
  BootSource: {
    schema: 'ComputerSystem.json',
    values: [
      'None',
      'Pxe',
      'Floppy',
      'Cd',
      'Usb',
      'Hdd',
      'BiosSetup',
      'Utilities',
      'Diags',
      'UefiShell',
      'UefiTarget',
      'SDCard',
      'UefiHttp',
      'RemoteDrive',
      'UefiBootNext',
      'Recovery',
    ],
  },
  BootSourceOverrideEnabled: {
    schema: 'ComputerSystem.v1_27_0.json',
    values: ['Disabled', 'Once', 'Continuous'],
  },
  BootSourceOverrideMode: { schema: 'ComputerSystem.v1_27_0.json', values: ['Legacy', 'UEFI'] },
  SystemType: {
    schema: 'ComputerSystem.v1_27_0.json',
    values: [
      'Physical',
      'Virtual',
      'OS',
      'PhysicallyPartitioned',
      'VirtuallyPartitioned',
      'Composed',
      'DPU',
    ],
  },
  ManagerType: {
    schema: 'Manager.v1_24_0.json',
    values: [
      'ManagementController',
      'EnclosureManager',
      'BMC',
      'RackManager',
      'AuxiliaryController',
      'Service',
      'FabricManager',
    ],
  },
  ChassisType: {
    schema: 'Chassis.v1_28_0.json',
    values: [
      'Rack',
      'Blade',
      'Enclosure',
      'StandAlone',
      'RackMount',
      'Card',
      'Cartridge',
      'Row',
      'Pod',
      'Expansion',
      'Sidecar',
      'Zone',
      'Sled',
      'Shelf',
      'Drawer',
      'Module',
      'Component',
      'IPBasedDrive',
      'RackGroup',
      'StorageEnclosure',
      'ImmersionTank',
      'HeatExchanger',
      'PowerStrip',
      'Other',
    ],
  },
  IndicatorLED: {
    schema: 'Resource.json',
    values: ['Lit', 'Blinking', 'Off'],
  },
  ProcessorArchitecture: {
    schema: 'Processor.v1_22_0.json',
    values: ['x86', 'IA-64', 'ARM', 'MIPS', 'Power', 'RISC-V', 'OEM'],
  },
  InstructionSet: {
    schema: 'Processor.v1_22_0.json',
    values: [
      'x86',
      'x86-64',
      'IA-64',
      'ARM-A32',
      'ARM-A64',
      'MIPS32',
      'MIPS64',
      'PowerISA',
      'RV32',
      'RV64',
      'OEM',
    ],
  },
  LinkStatus: {
    schema: 'EthernetInterface.v1_12_4.json',
    values: ['LinkUp', 'NoLink', 'LinkDown'],
  },
  Protocol: {
    schema: 'Protocol.json',
    values: [
      'PCIe',
      'AHCI',
      'UHCI',
      'SAS',
      'SATA',
      'USB',
      'NVMe',
      'FC',
      'iSCSI',
      'FCoE',
      'FCP',
      'FICON',
      'NVMeOverFabrics',
      'SMB',
      'NFSv3',
      'NFSv4',
      'HTTP',
      'HTTPS',
      'FTP',
      'SFTP',
      'iWARP',
      'RoCE',
      'RoCEv2',
      'I2C',
      'TCP',
      'UDP',
      'TFTP',
      'GenZ',
      'MultiProtocol',
      'InfiniBand',
      'Ethernet',
      'NVLink',
      'OEM',
      'DisplayPort',
      'HDMI',
      'VGA',
      'DVI',
      'CXL',
      'UPI',
      'QPI',
      'eMMC',
      'UET',
      'UALink',
    ],
  },
  SecureBootCurrentBootType: {
    schema: 'SecureBoot.v1_1_2.json',
    values: ['Enabled', 'Disabled'],
  },
  SecureBootModeType: {
    schema: 'SecureBoot.v1_1_2.json',
    values: ['SetupMode', 'UserMode', 'AuditMode', 'DeployedMode'],
  },
  ResetKeysType: {
    schema: 'SecureBoot.v1_1_2.json',
    values: ['ResetAllKeysToDefault', 'DeleteAllKeys', 'DeletePK'],
  },
  LogEntryType: { schema: 'LogEntry.v1_21_0.json', values: ['Event', 'SEL', 'Oem', 'CXL'] },
  EventSeverity: { schema: 'LogEntry.v1_21_0.json', values: ['OK', 'Warning', 'Critical'] },
  OriginatorTypes: {
    schema: 'LogEntry.v1_21_0.json',
    values: ['Client', 'Internal', 'SupportingService'],
  },
  LogEntryTypes: {
    schema: 'LogService.v1_9_0.json',
    values: ['Event', 'SEL', 'Multiple', 'OEM', 'CXL'],
  },
  OverWritePolicy: {
    schema: 'LogService.v1_9_0.json',
    values: ['Unknown', 'WrapsWhenFull', 'NeverOverWrites'],
  },
  LogPurpose: {
    schema: 'LogService.v1_9_0.json',
    values: ['Diagnostic', 'Operations', 'Security', 'Telemetry', 'ExternalEntity', 'OEM'],
  },
} as const;

type Values<K extends keyof typeof dmtfEnums> = (typeof dmtfEnums)[K]['values'][number];
export type ResetType = Values<'ResetType'>;
export type PowerState = Values<'PowerState'>;
export type Health = Values<'Health'>;
export type State = Values<'State'>;
export type BootSource = Values<'BootSource'>;
export type BootSourceOverrideEnabled = Values<'BootSourceOverrideEnabled'>;
export type BootSourceOverrideMode = Values<'BootSourceOverrideMode'>;
export type SystemType = Values<'SystemType'>;
export type ManagerType = Values<'ManagerType'>;
export type ChassisType = Values<'ChassisType'>;
export type IndicatorLED = Values<'IndicatorLED'>;
export type ProcessorArchitecture = Values<'ProcessorArchitecture'>;
export type InstructionSet = Values<'InstructionSet'>;
export type LinkStatus = Values<'LinkStatus'>;
export type Protocol = Values<'Protocol'>;
export type SecureBootCurrentBootType = Values<'SecureBootCurrentBootType'>;
export type SecureBootModeType = Values<'SecureBootModeType'>;
export type ResetKeysType = Values<'ResetKeysType'>;
export type LogEntryType = Values<'LogEntryType'>;
export type EventSeverity = Values<'EventSeverity'>;
export type OriginatorTypes = Values<'OriginatorTypes'>;
export type LogEntryTypes = Values<'LogEntryTypes'>;
export type OverWritePolicy = Values<'OverWritePolicy'>;
export type LogPurpose = Values<'LogPurpose'>;

/** ResetTypes this service implements on this platform, in the port's order. The port names
 *  its actions after ResetType values (the compiler checks PowerAction ⊂ ResetType wherever
 *  these are rendered); NMI is advertised only when the platform declares it, since sushy
 *  refuses values not listed. */
export const supportedResetTypes = (capabilities: BackendCapabilities): readonly PowerAction[] =>
  PowerActions.filter((action) => action !== 'Nmi' || capabilities.nmi);

export const supportedBootOverrideEnabled: readonly BootSourceOverrideEnabled[] =
  BootOverrideEnabledValues;
export const supportedBootModes: readonly BootSourceOverrideMode[] = BootModes;
