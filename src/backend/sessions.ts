// The session store port: Redfish sessions kept where every replica can see them (the cluster),
// never only in one process's memory. src/kube/ implements it.

/** One login session. The token itself is never stored, only its SHA-256 hex digest. */
export interface SessionRecord {
  /** URL-safe session id (the member id under SessionService/Sessions). */
  readonly id: string;
  readonly user: string;
  readonly tokenSha256: string;
  readonly createdAt: string;
  /** Last time the session was used; refreshed at most once a minute to spare the API server. */
  readonly lastUsedAt: string;
}

export interface SessionStore {
  /** True once the store's cache has synced. */
  isReady(): boolean;
  /** Persists a new session. */
  create(record: SessionRecord): Promise<void>;
  /** A session by token digest from cache (which holds this replica's own writes at once). */
  findCached(tokenSha256: string): SessionRecord | undefined;
  /** A session by token digest from the cluster, for one created on another replica a moment
   *  ago that the cache has not caught up with. Costs an API call; fails with a BackendError. */
  fetchByTokenDigest(tokenSha256: string): Promise<SessionRecord | undefined>;
  /** Every session, from cache (this replica's own creations and deletions show at once). */
  list(): readonly SessionRecord[];
  /** Records activity. */
  touch(id: string, at: string): Promise<void>;
  /** Ends a session; succeeds when it is already gone. */
  delete(id: string): Promise<void>;
}
