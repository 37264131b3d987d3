import type { UserState } from "./account-facts.js";
import type { ProjectionStore } from "./account-projection.js";

/**
 * The contract of drizzle-store.ts, in memory: for unit tests and for the
 * Pact consumer tests, which call the event handlers directly. Each
 * service's repository test runs one suite against both, so the fake cannot
 * drift from PostgreSQL. `copy` keeps callers from sharing the stored object.
 */
export function createMemoryProjectionStore<R extends { userId: string }>(copy: (record: R) => R = (record) => ({ ...record })) {
  const records = new Map<string, R>();
  const tombstones = new Map<string, { revision: number; at: Date }>();
  const store: ProjectionStore<R> = {
    async load(userId: string): Promise<UserState<R>> {
      const tombstone = tombstones.get(userId);
      if (tombstone) return { kind: "deleted", revision: tombstone.revision };
      const record = records.get(userId);
      return record ? { kind: "present", record: copy(record) } : { kind: "absent" };
    },
    async save(record: R): Promise<void> {
      records.set(record.userId, copy(record));
    },
    async delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void> {
      records.delete(userId);
      if (!tombstones.has(userId)) tombstones.set(userId, tombstone);
    },
  };
  /** Like drizzle-store's updateColumns: `change` makes the new record from the stored one; undefined when there is none. */
  const update = async (userId: string, change: (current: R) => R): Promise<R | undefined> => {
    const current = records.get(userId);
    if (!current) return undefined;
    const updated = change(copy(current));
    records.set(userId, copy(updated));
    return copy(updated);
  };
  return { store, update };
}
