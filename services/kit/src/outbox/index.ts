// The transactional outbox: its table, the relay, its status and tracing.
export { OUTBOX_CHANNEL, outbox, type OutboxEvent } from "./outbox-table.js";
export { parseNotifiedRows } from "./notified-rows.js";
export { startOutboxRelay, type OutboxRelay } from "./outbox-relay.js";
export { readOutboxStatus } from "./outbox-status.js";
export { withOutboxCreateSpan } from "./outbox-tracing.js";
export { Wakeup } from "./wakeup.js";
