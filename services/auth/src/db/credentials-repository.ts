import { eq, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { isUniqueViolation } from "@acme/kit/db/database";
import type { OutboxEvent } from "@acme/kit/outbox/outbox-table";
import type { Credential, CredentialStore } from "../app/ports.js";
import { AuthError } from "../domain/errors.js";
import { credentials, outbox, type schema } from "./schema.js";

type Db = PostgresJsDatabase<typeof schema>;

const emailTaken = () => new AuthError("AUTH.EMAIL_TAKEN", "an account with this email already exists");
const notFound = () => new AuthError("AUTH.ACCOUNT_NOT_FOUND", "the account no longer exists");

export function createCredentialRepository(db: Db): CredentialStore {
  const columns = {
    userId: credentials.userId,
    email: credentials.email,
    passwordHash: credentials.passwordHash,
    revision: credentials.revision,
  };

  return {
    async findByEmail(email) {
      const [row] = await db.select(columns).from(credentials).where(eq(sql`lower(${credentials.email})`, email.toLowerCase()));
      return row;
    },

    async findById(userId) {
      const [row] = await db.select(columns).from(credentials).where(eq(credentials.userId, userId));
      return row;
    },

    async create(credential, event) {
      try {
        // One statement, so one round trip instead of four (BEGIN, two
        // INSERTs, COMMIT): a data-modifying CTE is atomic, and registration
        // is the hot path that argon2id already makes expensive.
        await db.execute(sql`
          with created as (
            insert into ${credentials} (user_id, email, password_hash, revision)
            values (${credential.userId}, ${credential.email}, ${credential.passwordHash}, 1)
            returning user_id)
          insert into ${outbox} (event_id, subject, partition_key, payload, headers)
          select ${event.eventId}, ${event.subject}, ${event.partitionKey}, ${Buffer.from(event.payload)}, ${JSON.stringify(event.headers)}::jsonb
          from created`);
      } catch (error) {
        if (isUniqueViolation(error, "credentials_email_lower_idx")) throw emailTaken();
        throw error;
      }
    },

    async changeEmail(userId, email, event) {
      try {
        await db.transaction(async (tx) => {
          const current = await lockForUpdate(tx, userId);
          const revision = current.revision + 1;
          await tx.update(credentials).set({ email, revision, updatedAt: new Date() }).where(eq(credentials.userId, userId));
          await tx.insert(outbox).values(event(revision));
        });
      } catch (error) {
        if (isUniqueViolation(error, "credentials_email_lower_idx")) throw emailTaken();
        throw error;
      }
    },

    async delete(userId, event) {
      await db.transaction(async (tx) => {
        const current = await lockForUpdate(tx, userId);
        await tx.delete(credentials).where(eq(credentials.userId, userId));
        await tx.insert(outbox).values(event(current.revision + 1));
      });
    },
  };
}

/**
 * Row lock first: concurrent changes of one user queue here, so their
 * revisions and their outbox ids come out in the same order.
 */
async function lockForUpdate(tx: Parameters<Parameters<Db["transaction"]>[0]>[0], userId: string): Promise<Credential> {
  const [row] = await tx
    .select({ userId: credentials.userId, email: credentials.email, passwordHash: credentials.passwordHash, revision: credentials.revision })
    .from(credentials)
    .where(eq(credentials.userId, userId))
    .for("update");
  if (!row) throw notFound();
  return row;
}


