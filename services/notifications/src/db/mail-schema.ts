import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { MAIL_STATUSES } from "../domain/mail-status.js";

/**
 * The mail outbox: written in the consumer's transaction (one row per event
 * and template, so a redelivered event adds nothing), read by the sender.
 * A row is rendered in full when written; the sender only delivers it.
 */
export const mails = pgTable(
  "mails",
  {
    eventId: text("event_id").notNull(),
    template: text("template").notNull(),
    userId: text("user_id").notNull(),
    /** Null once erased (the account was deleted and the mail is done). */
    toAddress: text("to_address"),
    subject: text("subject").notNull(),
    textBody: text("text_body"),
    htmlBody: text("html_body"),
    /** Stable per event and template: the receiver's dedupe key if a mail is ever sent twice. */
    messageId: text("message_id").notNull(),
    /** The event's trace context: the send is a span of the event's trace. */
    traceparent: text("traceparent"),
    status: text("status", { enum: MAIL_STATUSES }).notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    /** A sender holds the row until then; a crashed sender's rows come back after it. */
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    lastError: text("last_error"),
    /** The account is deleted: erase the address and bodies as soon as this mail is done. */
    eraseWhenDone: boolean("erase_when_done").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.template] }),
    index("mails_due").on(t.nextAttemptAt).where(sql`status = 'queued'`),
    index("mails_by_user").on(t.userId, t.createdAt),
  ],
);

export type MailRow = typeof mails.$inferSelect;
