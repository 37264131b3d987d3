import { sql } from "drizzle-orm";
import { bigint, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { outbox } from "@acme/kit/outbox/outbox-table";

export { outbox };

/** Auth's own table: no other service can reach it (separate database and role). */
export const credentials = pgTable(
  "credentials",
  {
    userId: uuid("user_id").primaryKey(),
    /** Normalised (trimmed, lower case); unique whatever the case. */
    email: text("email").notNull(),
    /** argon2id PHC string: algorithm, parameters, salt and hash. */
    passwordHash: text("password_hash").notNull(),
    /** Bumped by every event about this user; carried in the event for ordering. */
    revision: bigint("revision", { mode: "number" }).notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("credentials_email_lower_idx").on(sql`lower(${table.email})`)],
);

/**
 * Ed25519 signing keys, shared by every auth instance through this database.
 * The newest signs; older ones stay published in the JWKS until the tokens
 * they signed have expired.
 */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  privateJwk: jsonb("private_jwk").$type<Record<string, unknown>>().notNull(),
  publicJwk: jsonb("public_jwk").$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  /** When a newer key replaced it; it leaves the JWKS once tokens it signed have expired. */
  retiredAt: timestamp("retired_at", { withTimezone: true }),
});

export const schema = { credentials, signingKeys, outbox };
