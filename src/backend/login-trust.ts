// The login-trust port: which user has logged in from which client, kept where it outlives a
// restart and reaches every replica (the cluster), so the failed-login lockout keeps exempting
// a client that proved it knows the password. src/kube/ implements it.

export interface LoginTrustStore {
  /** When the trust of a key expires, epoch milliseconds; from cache. Keys are opaque to the
   *  store (it keeps only their digests). */
  expiresAt(key: string): number | undefined;
  /** Persists one trust in the background; failures are the store's to report. */
  save(key: string, expiresAt: number): void;
}
