// The settings port: service settings a client changes at run time through Redfish
// (SessionService.SessionTimeout), kept in the cluster so every replica applies the same value.
// src/kube/ implements it.
import type { WriteOptions } from './port.ts';

/** Settings a client may change; an absent value means "as configured". */
export interface ServiceSettings {
  /** SessionService.SessionTimeout, seconds. */
  readonly sessionTimeoutSeconds?: number;
}

export interface SettingsStore {
  /** True once the store's cache has synced. */
  isReady(): boolean;
  /** The settings as last seen in the cluster, from cache. */
  get(): ServiceSettings;
  /** Stores the given settings over the current ones; every replica sees them once its cache
   *  has caught up. Fails with a BackendError. Stops before its next API call once
   *  `options.signal` aborts. */
  update(change: ServiceSettings, options?: Pick<WriteOptions, 'signal'>): Promise<void>;
}
