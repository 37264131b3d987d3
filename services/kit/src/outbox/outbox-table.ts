import { sql } from "drizzle-orm";
import { bigserial, customType, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => "bytea",
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => new Uint8Array(value),
});

/**
 * The NOTIFY channel the relay listens on. Each producer adds a migration with
 * an insert trigger that notifies it, carrying the inserted rows when they fit (see services/auth/drizzle/0004_outbox_notify_rows.sql).
 */
export const OUTBOX_CHANNEL = "outbox_inserted";

/**
 * The transactional outbox, a table of the producing service's own database
 * (defined here once so every producer and the relay agree on its shape).
 * A row is written in the same transaction as the state change it reports.
 */
export const outbox = pgTable(
  "outbox",
  {
    /** Insertion order. Rows are NOT committed in this order; the relay never assumes they are. */
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    /** CloudEvents id and JetStream Nats-Msg-Id: the key of every dedupe downstream. */
    eventId: uuid("event_id").notNull().unique(),
    subject: text("subject").notNull(),
    /** Events with the same key (a user id) are published in insertion order. */
    partitionKey: text("partition_key").notNull(),
    payload: bytea("payload").notNull(),
    headers: jsonb("headers").$type<Record<string, string>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp("published_at", { withTimezone: true }),
  },
  (table) => [
    index("outbox_unpublished_idx").on(table.id).where(sql`${table.publishedAt} is null`),
    index("outbox_published_at_idx").on(table.publishedAt).where(sql`${table.publishedAt} is not null`),
  ],
);

/** What a producer hands to the outbox: one event, already encoded. */
export interface OutboxEvent {
  eventId: string;
  subject: string;
  partitionKey: string;
  payload: Uint8Array;
  headers: Record<string, string>;
}
