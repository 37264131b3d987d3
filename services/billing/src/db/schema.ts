import { pgTable, text } from "drizzle-orm/pg-core";
import { accountKeyColumns, accountVersionColumns, processedEventsTable, userTombstonesTable } from "@acme/kit/projection";

/**
 * Billing contacts, built from auth's events; billing email and address
 * changed by their owner. The address columns are all null or all set.
 */
export const billingContacts = pgTable("billing_contacts", {
  ...accountKeyColumns(),
  ownBillingEmail: text("own_billing_email"),
  addressLine1: text("address_line1"),
  addressLine2: text("address_line2"),
  addressCity: text("address_city"),
  addressPostalCode: text("address_postal_code"),
  addressCountryCode: text("address_country_code"),
  ...accountVersionColumns(),
});

export const userTombstones = userTombstonesTable();
export const processedEvents = processedEventsTable();
export const schema = { billingContacts, userTombstones, processedEvents };
