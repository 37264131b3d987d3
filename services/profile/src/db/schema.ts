import { pgTable, text } from "drizzle-orm/pg-core";
import { accountKeyColumns, accountVersionColumns, processedEventsTable, userTombstonesTable } from "@acme/kit/projection";

/** Profiles, built from auth's events; display name and avatar changed by their owner. */
export const profiles = pgTable("profiles", {
  ...accountKeyColumns(),
  ownDisplayName: text("own_display_name"),
  avatarUrl: text("avatar_url").notNull().default(""),
  ...accountVersionColumns(),
});

/** Deleted accounts (user id and revision only), so a late event cannot bring a profile back. */
export const userTombstones = userTombstonesTable();

/** The consumer's inbox. */
export const processedEvents = processedEventsTable();

export const schema = { profiles, userTombstones, processedEvents };
