import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { outbox } from "@acme/kit/outbox";

export { outbox };

/**
 * Auth's own tables: no other service can reach them (separate database and
 * role). Migration 0002 is the design's experiment: it renamed `email` to
 * `contact_email` and moved password hashes to their own table, and nothing
 * outside services/auth changed (e2e/test/schema-change.test.ts checks it).
 */
export const credentials = pgTable(
  "credentials",
  {
    userId: uuid("user_id").primaryKey(),
    /** Normalised (trimmed, lower case); unique whatever the case. */
    contactEmail: text("contact_email").notNull(),
    /** Bumped by every event about this user; carried in the event for ordering. */
    revision: bigint("revision", { mode: "number" }).notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("credentials_contact_email_lower_idx").on(sql`lower(${table.contactEmail})`)],
);

/** One password per account; deleting the account deletes it. */
export const passwords = pgTable("passwords", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => credentials.userId, { onDelete: "cascade" }),
  /** argon2id PHC string: algorithm, parameters, salt and hash. */
  hash: text("hash").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Ed25519 signing keys, shared by every auth instance through this database.
 * The newest signs; older ones stay published in the JWKS until the tokens
 * they signed have expired.
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text("kid").primaryKey(),
    /** Only rows written before 0003 have it, until auth's start seals them (then null). */
    privateJwk: jsonb("private_jwk").$type<Record<string, unknown>>(),
    /** The private JWK, AES-256-GCM under AUTH_KEY_ENCRYPTION_KEY (security/key-sealer.ts). */
    sealedPrivateJwk: text("sealed_private_jwk"),
    publicJwk: jsonb("public_jwk").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** When a newer key replaced it; it is deleted once tokens it signed have expired. */
    retiredAt: timestamp("retired_at", { withTimezone: true }),
  },
  (table) => [check("signing_keys_private_half_check", sql`${table.privateJwk} is not null or ${table.sealedPrivateJwk} is not null`)],
);

/**
 * The login throttle's budget, shared by every auth instance
 * (security/login-throttle.ts). `key` is a hash of what is limited (an
 * account's email, a client address); rows are deleted once their window
 * is over, so the table stays as small as the traffic of one window.
 */
export const loginAttempts = pgTable(
  "login_attempts",
  {
    key: text("key").primaryKey(),
    /** Attempts spent in the current window (a password check counts from its reservation until it succeeds). */
    attempts: integer("attempts").notNull(),
    windowEndsAt: timestamp("window_ends_at", { withTimezone: true }).notNull(),
    /** Progressive delay: no check of this account before then. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    /** A check of this account is in flight until then (a lease, should its instance die). */
    checkingUntil: timestamp("checking_until", { withTimezone: true }),
  },
  (table) => [index("login_attempts_window_ends_at_idx").on(table.windowEndsAt)],
);

export const schema = { credentials, passwords, signingKeys, loginAttempts, outbox };
