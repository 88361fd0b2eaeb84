// The slices of KubeVirt, CDI and core objects the adapter reads and writes, as structural types
// (only the fields we touch; everything else round-trips untouched because we only ever patch).

export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** When `status` last changed: the insertion deadlines count from a DataVolume's. */
  lastTransitionTime?: string;
}

export interface Disk {
  name: string;
  disk?: { bus?: string };
  cdrom?: { bus?: string; readonly?: boolean; tray?: string };
  lun?: { bus?: string };
  bootOrder?: number;
}

export interface Interface {
  name: string;
  macAddress?: string;
  model?: string;
  bootOrder?: number;
}

export interface Volume {
  name: string;
  dataVolume?: { name: string; hotpluggable?: boolean };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean; hotpluggable?: boolean };
  containerDisk?: { image?: string };
  emptyDisk?: { capacity?: string };
  ephemeral?: { persistentVolumeClaim?: { claimName: string } };
  [source: string]: unknown;
}

export interface Firmware {
  uuid?: string;
  serial?: string;
  bootloader?: {
    bios?: Record<string, unknown>;
    efi?: { secureBoot?: boolean; persistent?: boolean };
  };
}

export interface DomainSpec {
  cpu?: { sockets?: number; cores?: number; threads?: number };
  machine?: { type?: string };
  features?: { smm?: { enabled?: boolean } };
  memory?: { guest?: string };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  firmware?: Firmware;
  devices?: { disks?: Disk[]; interfaces?: Interface[] };
  rebootPolicy?: string;
}

export interface VmiSpec {
  /** Set by KubeVirt's mutating webhook to the cluster's default when a VM omits it. */
  architecture?: string;
  domain?: DomainSpec;
  volumes?: Volume[];
}

export interface VirtualMachine {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec: {
    runStrategy?: string;
    running?: boolean;
    /** Kind defaults to VirtualMachineClusterInstancetype (KubeVirt's InstancetypeMatcher). */
    instancetype?: { kind?: string; name: string };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: VmiSpec };
  };
  status?: {
    printableStatus?: string;
    ready?: boolean;
    created?: boolean;
    conditions?: Condition[];
    /** Start/Stop requests virt-controller has not acted on yet (Manual and RerunOnFailure). */
    stateChangeRequests?: { action: string; uid?: string }[];
  };
}

/** A VMI's volumeStatus entry: hotplug progress (phase, message) and, for the ISO files of
 *  cloud-init and config volumes, their size in bytes while the VMI runs. */
export interface VolumeStatus {
  name: string;
  phase?: string;
  message?: string;
  size?: number;
}

export interface VirtualMachineInstance {
  metadata: Meta;
  spec?: VmiSpec;
  status?: {
    phase?: string;
    conditions?: Condition[];
    interfaces?: {
      name?: string;
      mac?: string;
      linkState?: string;
      ipAddress?: string;
      ipAddresses?: string[];
    }[];
    currentCPUTopology?: { sockets?: number; cores?: number; threads?: number };
    memory?: { guestCurrent?: string };
    machine?: { type?: string };
    guestOSInfo?: { machine?: string };
    volumeStatus?: VolumeStatus[];
  };
}

export interface DataVolume {
  metadata: Meta;
  spec?: {
    source?: { http?: { url: string; secretRef?: string } };
    storage?: { resources?: { requests?: { storage?: string } }; storageClassName?: string };
    pvc?: { resources?: { requests?: { storage?: string } } };
  };
  status?: {
    phase?: string;
    progress?: string;
    restartCount?: number;
    claimName?: string;
    conditions?: Condition[];
  };
}

export interface PersistentVolumeClaim {
  metadata: Meta;
  spec?: { resources?: { requests?: { storage?: string } } };
  status?: { phase?: string; capacity?: { storage?: string } };
}

/** VirtualMachineInstancetype and VirtualMachineClusterInstancetype (instancetype.kubevirt.io/
 *  v1beta1): the sizing a VM may take instead of its own domain.cpu / memory. */
export interface Instancetype {
  metadata: Meta;
  spec?: { cpu?: { guest?: number }; memory?: { guest?: string } };
}

/** A list response as the API server sends it. */
export interface ObjectList<T> {
  /** `continue` is set when more pages follow (a LIST with `limit`). */
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** Annotations this service writes on VMs (the Redfish view of state kept in the cluster). */
export const Annotations = {
  /** JSON BootRecord: what Redfish asked for and what to restore. */
  boot: 'kubevirt-redfish.io/boot',
  /** The IndicatorLED value a client set (Lit, Blinking; absent means Off). */
  indicatorLed: 'kubevirt-redfish.io/indicator-led',
} as const;

/** The dedicated virtual-media CD-ROM disk (and, when media is inserted, its volume). */
export const VirtualMediaDisk = 'redfish-cd';
