// TEST DOUBLE, for tests only: an in-memory SessionStore that records the calls made to it.
// The product keeps sessions in Kubernetes Secrets (src/kube/), never only in memory.
import type { SessionRecord, SessionStore } from '../../src/backend/sessions.ts';

export class MemorySessionStore implements SessionStore {
  readonly records = new Map<string, SessionRecord>();
  readonly calls: string[] = [];
  isReady = () => true;
  create(record: SessionRecord): Promise<void> {
    this.calls.push(`create ${record.id}`);
    this.records.set(record.id, record);
    return Promise.resolve();
  }
  /** Records created behind this store's back (another replica): only a fetch finds them. */
  readonly elsewhere = new Map<string, SessionRecord>();
  findCached = (digest: string): SessionRecord | undefined =>
    [...this.records.values()].find((r) => r.tokenSha256 === digest);
  fetchByTokenDigest(digest: string): Promise<SessionRecord | undefined> {
    this.calls.push('fetch');
    return Promise.resolve(
      this.findCached(digest) ?? [...this.elsewhere.values()].find((r) => r.tokenSha256 === digest),
    );
  }
  list = (): readonly SessionRecord[] => [...this.records.values()];
  touch(id: string, at: string): Promise<void> {
    this.calls.push(`touch ${id} ${at}`);
    const record = this.records.get(id);
    if (record) this.records.set(id, { ...record, lastUsedAt: at });
    return Promise.resolve();
  }
  delete(id: string): Promise<void> {
    this.calls.push(`delete ${id}`);
    this.records.delete(id);
    return Promise.resolve();
  }
}
