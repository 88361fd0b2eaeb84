// The Kubernetes calls virtual media makes besides VM patches (VMI, DataVolume, Secret), with
// the answers the media logic branches on (absent, already exists) turned into values and
// every other failure into a typed BackendError.
import type { V1Secret } from '@kubernetes/client-node';
import type { VmRef } from '../backend/port.ts';
import type { KubeClients } from './client.ts';
import { statusCode, toBackendError } from './errors.ts';
import type { DataVolume, ObjectList, VirtualMachineInstance } from './types.ts';
import type { DataVolumeManifest } from './media-manifests.ts';

export interface MediaApi {
  getVmi(ref: VmRef): Promise<VirtualMachineInstance | undefined>;
  getDataVolume(namespace: string, name: string): Promise<DataVolume | undefined>;
  /** Creates it, or answers 'exists' when an object of that name is already there. */
  createDataVolume(manifest: DataVolumeManifest): Promise<DataVolume | 'exists'>;
  listDataVolumes(namespace: string, labelSelector: string): Promise<DataVolume[]>;
  /** Deletes it; an absent object is not an error. */
  deleteDataVolume(namespace: string, name: string): Promise<void>;
  /** Creates the Secret, or replaces its data when it already exists (a retried insert). */
  putSecret(secret: V1Secret & { metadata: { name: string; namespace: string } }): Promise<void>;
  listSecretNames(namespace: string, labelSelector: string): Promise<string[]>;
  deleteSecret(namespace: string, name: string): Promise<void>;
}

const cdi = { group: 'cdi.kubevirt.io', version: 'v1beta1', plural: 'datavolumes' } as const;

const absentOn404 = async <T>(call: () => Promise<T>, what: string): Promise<T | undefined> => {
  try {
    return await call();
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw toBackendError(error, what);
  }
};

export const createMediaApi = (clients: KubeClients): MediaApi => {
  const { custom, core } = clients;
  return {
    getVmi: (ref) =>
      absentOn404(
        async () =>
          (await custom.getNamespacedCustomObject({
            group: 'kubevirt.io',
            version: 'v1',
            plural: 'virtualmachineinstances',
            namespace: ref.namespace,
            name: ref.name,
          })) as VirtualMachineInstance,
        `VirtualMachineInstance ${ref.namespace}/${ref.name}`,
      ),
    getDataVolume: (namespace, name) =>
      absentOn404(
        async () =>
          (await custom.getNamespacedCustomObject({ ...cdi, namespace, name })) as DataVolume,
        `DataVolume ${namespace}/${name}`,
      ),
    async createDataVolume(manifest) {
      const namespace = manifest.metadata.namespace ?? '';
      try {
        return (await custom.createNamespacedCustomObject({
          ...cdi,
          namespace,
          body: manifest,
        })) as DataVolume;
      } catch (error) {
        if (statusCode(error) === 409) return 'exists';
        throw toBackendError(error, `DataVolume ${namespace}/${manifest.metadata.name}`);
      }
    },
    async listDataVolumes(namespace, labelSelector) {
      try {
        const list = (await custom.listNamespacedCustomObject({
          ...cdi,
          namespace,
          labelSelector,
        })) as ObjectList<DataVolume>;
        return list.items;
      } catch (error) {
        // CDI's API not served (CDI removed): there are no DataVolumes to find.
        if (statusCode(error) === 404) return [];
        throw toBackendError(error, `DataVolumes in ${namespace}`);
      }
    },
    async deleteDataVolume(namespace, name) {
      await absentOn404(
        () => custom.deleteNamespacedCustomObject({ ...cdi, namespace, name }),
        `DataVolume ${namespace}/${name}`,
      );
    },
    async putSecret(secret) {
      const { name, namespace } = secret.metadata;
      try {
        await core.createNamespacedSecret({ namespace, body: secret });
      } catch (error) {
        if (statusCode(error) !== 409) throw toBackendError(error, `Secret ${namespace}/${name}`);
        try {
          await core.replaceNamespacedSecret({ name, namespace, body: secret });
        } catch (replaceError) {
          throw toBackendError(replaceError, `Secret ${namespace}/${name}`);
        }
      }
    },
    async listSecretNames(namespace, labelSelector) {
      try {
        const list = await core.listNamespacedSecret({ namespace, labelSelector });
        return list.items.flatMap((secret) =>
          secret.metadata?.name ? [secret.metadata.name] : [],
        );
      } catch (error) {
        throw toBackendError(error, `Secrets in ${namespace}`);
      }
    },
    async deleteSecret(namespace, name) {
      await absentOn404(
        () => core.deleteNamespacedSecret({ namespace, name }),
        `Secret ${namespace}/${name}`,
      );
    },
  };
};
