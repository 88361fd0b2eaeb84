// The Metal3 objects that enrol one system with a Metal3 cluster: a metal3.io/v1alpha1
// BareMetalHost whose BMC is this service, and the Secret with the credentials it names
// (shared/metal3-api: the CRD, and the address schemes of baremetal-operator's bmc package).
import type { BootMode } from '../backend/port.ts';

/** What `kubevirt-redfish bmh` states about one system; all of it from the service's own view. */
export interface BareMetalHostInput {
  /** The BareMetalHost's name; the Secret is `<name>-bmc-secret`. */
  readonly name: string;
  /** Where the objects go (Metal3's namespace); absent = the namespace kubectl applies them in. */
  readonly namespace?: string;
  /** `redfish-virtualmedia[+http]://HOST[:PORT]/redfish/v1/Systems/ID`. */
  readonly bmcAddress: string;
  /** Set when the BMC's certificate cannot be verified (self-signed). */
  readonly disableCertificateVerification: boolean;
  readonly username: string;
  readonly password: string;
  /** The MAC of the system's first NIC, when known. */
  readonly bootMacAddress?: string;
  /** Whether the system is powered on. */
  readonly online: boolean;
  readonly bootMode: BootMode;
  readonly secureBoot: boolean;
  /** The guest architecture in platform words (amd64, arm64…), when known. */
  readonly architecture?: string;
}

export interface Secret {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly type: 'Opaque';
  readonly data: { readonly username: string; readonly password: string };
}

export interface BareMetalHost {
  readonly apiVersion: 'metal3.io/v1alpha1';
  readonly kind: 'BareMetalHost';
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: Record<string, unknown>;
}

/** The CRD's bootMode words: secure boot is a mode of its own there. */
const bootModeOf = (input: BareMetalHostInput): 'UEFI' | 'UEFISecureBoot' | 'legacy' =>
  input.bootMode === 'Legacy' ? 'legacy' : input.secureBoot ? 'UEFISecureBoot' : 'UEFI';

/** spec.architecture takes the names Ironic's inspection reports (cpu_arch: x86_64, aarch64),
 *  not the Go names KubeVirt uses; others are left for inspection to fill in. */
const ironicArchitectures: Readonly<Record<string, string>> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  ppc64le: 'ppc64le',
  s390x: 's390x',
};

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export const bmcSecretName = (hostName: string): string => `${hostName}-bmc-secret`;

/** The Secret, then the BareMetalHost that names it (the order `kubectl apply` should meet). */
export const bareMetalHostManifests = (
  input: BareMetalHostInput,
): readonly [Secret, BareMetalHost] => {
  const namespace = input.namespace === undefined ? {} : { namespace: input.namespace };
  const secretName = bmcSecretName(input.name);
  const architecture =
    input.architecture === undefined ? undefined : ironicArchitectures[input.architecture];
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, ...namespace },
      type: 'Opaque',
      // The keys baremetal-operator reads (CRD: credentialsName "requires keys username and
      // password").
      data: { username: base64(input.username), password: base64(input.password) },
    },
    {
      apiVersion: 'metal3.io/v1alpha1',
      kind: 'BareMetalHost',
      metadata: { name: input.name, ...namespace },
      spec: {
        bmc: {
          address: input.bmcAddress,
          credentialsName: secretName,
          ...(input.disableCertificateVerification ? { disableCertificateVerification: true } : {}),
        },
        ...(input.bootMacAddress === undefined ? {} : { bootMACAddress: input.bootMacAddress }),
        bootMode: bootModeOf(input),
        online: input.online,
        ...(architecture === undefined ? {} : { architecture }),
      },
    },
  ];
};
