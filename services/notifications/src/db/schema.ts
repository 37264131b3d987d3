import { pgTable } from "drizzle-orm/pg-core";
import { accountKeyColumns, accountVersionColumns, processedEventsTable, userTombstonesTable } from "@acme/kit/projection";
import { mails } from "./mail-schema.js";

/**
 * The account email of each user, built from auth's events (kit's
 * projection): notifications keeps its own copy so that, when an email
 * changes, it knows the OLD address to warn. Nothing else about the user.
 */
export const accountEmails = pgTable("account_emails", { ...accountKeyColumns(), ...accountVersionColumns() });
export const userTombstones = userTombstonesTable();
export const processedEvents = processedEventsTable();

export { mails };
export const schema = { accountEmails, userTombstones, processedEvents, mails };
