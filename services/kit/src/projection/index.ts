// The per-user projection of auth's events that consumer services share.
export type { AccountRecord } from "./account-facts.js";
export { accountProjection, type Applied } from "./account-projection.js";
export { runDeadLetterEntry } from "./dead-letter-entry.js";
export { createProjectionStore, perTransaction, type ProjectionDb } from "./drizzle-store.js";
export { createMemoryProjectionStore } from "./memory-store.js";
export { ownedRecords, type OwnerInput, type OwnFieldsStore } from "./owned-records.js";
export { ownerInput, projectionErrors } from "./rpc.js";
export { accountKeyColumns, accountVersionColumns, processedEventsTable, userTombstonesTable } from "./tables.js";
