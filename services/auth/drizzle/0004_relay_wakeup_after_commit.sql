-- The outbox relay's wake-up moves out of the writing transaction (issue 15, P4): auth sends the
-- NOTIFY itself after each commit that wrote outbox rows (src/db/relay-wakeup.ts). PostgreSQL queues
-- every transaction that NOTIFYs behind one cluster-wide lock, held until its commit is flushed to
-- disk, so with this trigger concurrent Registers waited for each other's WAL flush one by one.
DROP TRIGGER IF EXISTS outbox_notify ON outbox;--> statement-breakpoint
DROP FUNCTION IF EXISTS outbox_notify();
