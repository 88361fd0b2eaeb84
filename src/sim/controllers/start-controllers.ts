// Starts the simulated cluster side behind the API server: virt-api verbs (registered into the
// server's subresource registry), virt-controller, the node (virt-handler) and CDI's importer.
import type { Clock } from '../../util/clock.ts';
import type { ClusterConfig } from '../cluster-config.ts';
import type { ObjectStore, SubresourceRegistry } from '../types.ts';
import { startCdiImporter } from './cdi-importer.ts';
import type { Delays } from './delays.ts';
import type { ImportRule } from './import-source.ts';
import { startPvcProtection } from './pvc-protection.ts';
import { registerVirtApi } from './virt-api.ts';
import { startVirtController } from './virt-controller.ts';
import { startVirtHandler } from './virt-handler.ts';
import type { ErrorSink } from './work-queue.ts';

export interface ControllersOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly cluster: ClusterConfig;
  readonly delays: Delays;
  readonly registry: SubresourceRegistry;
  readonly importRule?: ImportRule;
  /** Virtual size of images from non-loopback URLs (see CdiImporterOptions). */
  readonly imageSizeBytes?: number;
  /** Where reconcile failures go (a controller bug or an unexpected store error). */
  readonly onError: ErrorSink;
}

/** Test hooks that act from inside the guest, plus shutdown. */
export interface Controllers {
  guestReboot(namespace: string, name: string): void;
  guestShutdown(namespace: string, name: string): void;
  crash(namespace: string, name: string): void;
  /** Starts or stops CDI's importer (CDI installed or removed at run time). */
  setCdi(installed: boolean): void;
  close(): void;
}

export const startControllers = (options: ControllersOptions): Controllers => {
  const { store, clock, cluster, delays, onError } = options;
  const handler = startVirtHandler({ store, clock, delays, cluster, onError });
  registerVirtApi(options.registry, { store, cluster, handler });
  const controller = startVirtController({ store, clock, cluster, onError });
  const protection = startPvcProtection({ store, onError });
  // Without CDI nothing imports: DataVolumes cannot even be created (their API is not served).
  const startImporter = () =>
    startCdiImporter({
      store,
      clock,
      delays,
      onError,
      ...(options.importRule ? { importRule: options.importRule } : {}),
      ...(options.imageSizeBytes !== undefined ? { imageSizeBytes: options.imageSizeBytes } : {}),
    });
  let importer = cluster.cdi ? startImporter() : undefined;
  return {
    guestReboot: (namespace, name) => handler.guestReboot(namespace, name),
    guestShutdown: (namespace, name) => handler.guestShutdown(namespace, name),
    crash: (namespace, name) => handler.crash(namespace, name),
    setCdi: (installed) => {
      if (installed) importer ??= startImporter();
      else {
        importer?.close();
        importer = undefined;
      }
    },
    close: () => {
      importer?.close();
      protection.close();
      controller.close();
      handler.close();
    },
  };
};
