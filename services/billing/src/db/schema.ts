import { bigint, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Billing contacts, built from auth's events; billing email and address
 * changed by their owner. The address columns are all null or all set.
 */
export const billingContacts = pgTable("billing_contacts", {
  userId: text("user_id").primaryKey(),
  accountEmail: text("account_email").notNull(),
  ownBillingEmail: text("own_billing_email"),
  addressLine1: text("address_line1"),
  addressLine2: text("address_line2"),
  addressCity: text("address_city"),
  addressPostalCode: text("address_postal_code"),
  addressCountryCode: text("address_country_code"),
  revision: bigint("revision", { mode: "number" }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

/**
 * Deleted accounts: the user id and the revision only, no personal data, so
 * an event of that user that arrives late (or is replayed) cannot recreate
 * the contact.
 */
export const userTombstones = pgTable("user_tombstones", {
  userId: text("user_id").primaryKey(),
  revision: bigint("revision", { mode: "number" }).notNull(),
  deletedAt: timestamp("deleted_at", { withTimezone: true }).notNull(),
});

/** The consumer's inbox: an event id here has been applied (see @acme/kit consumer). */
export const processedEvents = pgTable("processed_events", {
  eventId: text("event_id").primaryKey(),
  processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { billingContacts, userTombstones, processedEvents };
