// The VM backend port: what the Redfish layer may ask of a virtualization platform, in domain
// words only (no Redfish, no Kubernetes types). src/kube/ implements it over KubeVirt and CDI.

/** A VM's address on the platform: its namespace and name. */
export interface VmRef {
  readonly namespace: string;
  readonly name: string;
}

/** Power states a client can observe; the Redfish PowerState enum is a superset. */
export const PowerStates = ['On', 'Off', 'PoweringOn', 'PoweringOff', 'Paused'] as const;
export type PowerState = (typeof PowerStates)[number];

/** Power actions, named after the Redfish ResetType values they implement. */
export const PowerActions = [
  'On',
  'ForceOff',
  'GracefulShutdown',
  'ForceRestart',
  'GracefulRestart',
  'PushPowerButton',
  'Pause',
  'Resume',
  'Nmi',
] as const;
export type PowerAction = (typeof PowerActions)[number];

/** Devices a VM can be told to boot from. */
export const BootTargets = ['None', 'Pxe', 'Cd', 'Hdd', 'UefiHttp'] as const;
export type BootTarget = (typeof BootTargets)[number];

export const BootOverrideEnabledValues = ['Disabled', 'Once', 'Continuous'] as const;
export type BootOverrideEnabled = (typeof BootOverrideEnabledValues)[number];

export const BootModes = ['UEFI', 'Legacy'] as const;
export type BootMode = (typeof BootModes)[number];

/** The boot override as it reads back: what was asked for, and the firmware mode. */
export interface BootSettings {
  readonly target: BootTarget;
  readonly enabled: BootOverrideEnabled;
  readonly mode: BootMode;
}

/** The identify-LED states (the Redfish IndicatorLED words). */
export const IndicatorLeds = ['Lit', 'Blinking', 'Off'] as const;
export type IndicatorLed = (typeof IndicatorLeds)[number];

/** Health of a VM as a BMC would report it. */
export type Health = 'OK' | 'Warning' | 'Critical';

export interface CpuTopology {
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

/** Where the CPU and memory figures were read, for the docs and the inventory's Description. */
export type SizingSource = 'topology' | 'instancetype' | 'resources' | 'running';

export interface NicSnapshot {
  readonly name: string;
  /** MAC from the spec or, failing that, the running instance; absent when neither knows it. */
  readonly mac?: string;
  readonly model?: string;
  /** Whether this interface can PXE-boot (it has a boot order slot). */
  readonly bootable: boolean;
  /** Link state the running instance reports; absent while the VM is off. */
  readonly linkUp?: boolean;
  /** Addresses the running instance reports (IPv4 and IPv6 mixed), in its order. */
  readonly ipAddresses?: readonly string[];
}

export type DiskKind = 'disk' | 'cdrom' | 'lun';

export interface DiskSnapshot {
  readonly name: string;
  readonly kind: DiskKind;
  readonly bus?: string;
  /** Capacity as the cluster states it (the claim or DataVolume, an emptyDisk's capacity, the
   *  size of a cloud-init or config ISO the running instance reports); absent when unknown. */
  readonly sizeBytes?: number;
  /** True for the dedicated virtual-media CD-ROM this service manages. */
  readonly virtualMedia: boolean;
}

/** The state of a media import or attachment, as a BMC slot would report it. */
export const MediaStates = ['Empty', 'Importing', 'Ready', 'Failed'] as const;
export type MediaState = (typeof MediaStates)[number];

export interface MediaSnapshot {
  readonly state: MediaState;
  /** The image URL as inserted, with any userinfo removed; its query string may be a
   *  credential (a pre-signed URL), shown only to Administrators. */
  readonly image?: string;
  /** The last path segment of the image URL. */
  readonly imageName?: string;
  /** True when the media is attached to the VM and readable by the guest (import done). */
  readonly inserted: boolean;
  readonly writeProtected: boolean;
  readonly transferProtocol?: 'HTTP' | 'HTTPS';
  /** Import progress 0–100 while Importing; 100 when Ready. */
  readonly percentComplete?: number;
  /** Why the import failed, or why it is retrying, in the platform's words. */
  readonly message?: string;
  /** Attached to the VM spec but the running instance only sees it after a restart. */
  readonly pendingRestart: boolean;
  /** Identifies the import as a task; stable for the life of this insertion. */
  readonly taskId?: string;
  /** When the insertion was requested (ISO 8601). */
  readonly insertedAt?: string;
  /** When the import finished or failed (ISO 8601). */
  readonly finishedAt?: string;
}

/** A read-only view of one VM, built from watch caches. */
export interface VmSnapshot {
  readonly ref: VmRef;
  readonly labels: Readonly<Record<string, string>>;
  /** SMBIOS UUID of the guest (firmware.uuid), stable across restarts. */
  readonly uuid: string;
  readonly serialNumber?: string;
  readonly powerState: PowerState;
  readonly health: Health;
  /** Human-readable reason when health is not OK. */
  readonly healthMessage?: string;
  /** The platform's own one-word status (KubeVirt printableStatus). */
  readonly platformStatus: string;
  readonly boot: BootSettings;
  /** Boot targets this VM can honour given its devices. */
  readonly bootTargets: readonly BootTarget[];
  readonly cpu?: CpuTopology;
  readonly cpuSource?: SizingSource;
  /** The guest's CPU architecture in platform words (amd64, arm64, s390x…); absent if unknown. */
  readonly architecture?: string;
  readonly memoryBytes?: number;
  readonly memorySource?: SizingSource;
  readonly nics: readonly NicSnapshot[];
  readonly disks: readonly DiskSnapshot[];
  /** Secure boot as configured (applies from the next start). */
  readonly secureBoot?: boolean;
  /** The EFI variables (and so the secure-boot keys) survive restarts (a persistent NVRAM);
   *  otherwise every boot starts from the firmware's default keys. */
  readonly efiVarsPersistent: boolean;
  /** Firmware as the running instance booted it; absent while the VM is off. */
  readonly currentBoot?: { readonly mode: BootMode; readonly secureBoot: boolean };
  /** The emulated machine type (q35, pc-q35-rhel9.6.0…) when the platform says. */
  readonly machineType?: string;
  /** The identify LED a client set (kept on the VM, so every replica shows it). */
  readonly indicatorLed: IndicatorLed;
  readonly media: MediaSnapshot;
  /** Changes whenever anything in this snapshot may have changed; the basis of ETags. */
  readonly version: string;
  readonly createdAt: string;
}

/** Optional platform capabilities, declared rather than discovered by catching errors. They
 *  follow the platform at run time (a changed feature gate), so read them when needed. */
export interface BackendCapabilities {
  /** Non-maskable interrupts can be injected. */
  readonly nmi: boolean;
  /** Media can be swapped in a running VM, and an empty CD drive can exist. */
  readonly cdromHotplug: boolean;
  /** A reboot from inside the guest can be made to apply a pending one-time boot. */
  readonly rebootPolicyTerminate: boolean;
  /** False when virtual media cannot be offered at all (the platform has no image importer);
   *  absent means it can. */
  readonly virtualMedia?: boolean;
}

export interface BootChange {
  readonly target?: BootTarget;
  readonly enabled?: BootOverrideEnabled;
  readonly mode?: BootMode;
}

export interface InsertMediaRequest {
  /** http or https URL; may carry no credentials (they go in `credentials`). */
  readonly url: string;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly writeProtected: boolean;
}

export type InsertMediaOutcome =
  /** A new import started; the snapshot's media.taskId names its task. */
  | { readonly kind: 'started'; readonly taskId: string; readonly appliesOnNextStart: boolean }
  /** The same image is already inserted: nothing to do. */
  | { readonly kind: 'unchanged' };

/** Precondition for a write: the caller saw this snapshot version (If-Match). */
export interface WriteOptions {
  readonly signal?: AbortSignal;
  readonly expectedVersion?: string;
}

/** Who asked, for the action log. */
export interface Actor {
  readonly user: string;
}

/**
 * The backend port. Reads are synchronous and served from caches; writes are async, idempotent
 * and conflict-safe. Failures are thrown as BackendError (see errors.ts).
 */
export interface VmBackend {
  /** Optional capabilities of the connected platform. */
  readonly capabilities: BackendCapabilities;
  /** True once every cache has synced at least once; false once the platform has been
   *  unreachable for longer than a short grace (a brief watch drop keeps serving the cache). */
  isReady(): boolean;
  /** Every VM of a namespace, from cache, in name order. */
  listVms(namespace: string): readonly VmSnapshot[];
  /** One VM from cache, or undefined. */
  getVm(ref: VmRef): VmSnapshot | undefined;
  /** Performs a power action. Idempotent where the action allows (On on a running VM). */
  reset(ref: VmRef, action: PowerAction, actor: Actor, options?: WriteOptions): Promise<void>;
  /** Changes the boot override and/or firmware mode. */
  setBoot(ref: VmRef, change: BootChange, actor: Actor, options?: WriteOptions): Promise<void>;
  /** Starts importing an image into the VM's virtual CD. */
  insertMedia(
    ref: VmRef,
    request: InsertMediaRequest,
    actor: Actor,
    options?: WriteOptions,
  ): Promise<InsertMediaOutcome>;
  /** Detaches and deletes the virtual CD; succeeds on an empty slot. */
  ejectMedia(ref: VmRef, actor: Actor, options?: WriteOptions): Promise<void>;
  /** Sets the identify LED (a VM annotation: a VM has no lamp, but the operator's mark stays). */
  setIndicatorLed(
    ref: VmRef,
    led: IndicatorLed,
    actor: Actor,
    options?: WriteOptions,
  ): Promise<void>;
  /** Sets whether the VM secure-boots from its next start (EFI only). */
  setSecureBoot(ref: VmRef, enabled: boolean, actor: Actor, options?: WriteOptions): Promise<void>;
}
