import { eq, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import { isUniqueViolation } from "@acme/kit/db";
import { inTransactionSpan, trace, type Tracer } from "@acme/kit/observability";
import { withOutboxCreateSpan } from "@acme/kit/outbox";
import type { CredentialStore } from "../app/ports.js";
import { AuthError } from "../domain/errors.js";
import { credentials, outbox, passwords, type schema } from "./schema.js";

type Db = PostgresJsDatabase<typeof schema>;

const emailTaken = () => new AuthError("AUTH.EMAIL_TAKEN", "an account with this email already exists");
const notFound = () => new AuthError("AUTH.ACCOUNT_NOT_FOUND", "the account no longer exists");

/** Each write is a transaction span; each outbox row a messaging `create` span whose context the row carries. */
export function createCredentialRepository(db: Db, tracer: Tracer = trace.getTracer("@acme/auth")): CredentialStore {
  // The postgres.js client under Drizzle, for the one hand-written statement.
  const pg = (db as unknown as { $client: Sql }).$client;
  const columns = {
    userId: credentials.userId,
    email: credentials.contactEmail,
    passwordHash: passwords.hash,
    revision: credentials.revision,
  };
  const withPassword = () => db.select(columns).from(credentials).innerJoin(passwords, eq(passwords.userId, credentials.userId));

  return {
    async findByEmail(email) {
      const [row] = await withPassword().where(eq(sql`lower(${credentials.contactEmail})`, email.toLowerCase()));
      return row;
    },

    async findById(userId) {
      const [row] = await withPassword().where(eq(credentials.userId, userId));
      return row;
    },

    async create(credential, event) {
      try {
        // One statement, so one round trip instead of four (BEGIN, two
        // INSERTs, COMMIT): a data-modifying CTE is atomic, and registration
        // is the hot path that argon2id already makes expensive.
        // Written for postgres.js directly: it prepares the statement once per
        // connection, where a Drizzle raw query would be parsed every time.
        await inTransactionSpan(tracer, "register", () =>
          withOutboxCreateSpan(
            tracer,
            event,
            (event) => pg`
          with created as (
            insert into credentials (user_id, contact_email, revision)
            values (${credential.userId}, ${credential.email}, 1)
            returning user_id),
          password as (
            insert into passwords (user_id, hash) select user_id, ${credential.passwordHash} from created)
          insert into outbox (event_id, subject, partition_key, payload, headers)
          select ${event.eventId}::uuid, ${event.subject}, ${event.partitionKey}, ${Buffer.from(event.payload)}, ${JSON.stringify(event.headers)}::jsonb
          from created`,
          ),
        );
      } catch (error) {
        if (isUniqueViolation(error, "credentials_contact_email_lower_idx")) throw emailTaken();
        throw error;
      }
    },

    async changeEmail(userId, email, event) {
      try {
        await inTransactionSpan(tracer, "change_email", () =>
          db.transaction(async (tx) => {
            const current = await lockForUpdate(tx, userId);
            const revision = current.revision + 1;
            await tx.update(credentials).set({ contactEmail: email, revision, updatedAt: new Date() }).where(eq(credentials.userId, userId));
            await withOutboxCreateSpan(tracer, event(revision), (e) => tx.insert(outbox).values(e));
          }),
        );
      } catch (error) {
        if (isUniqueViolation(error, "credentials_contact_email_lower_idx")) throw emailTaken();
        throw error;
      }
    },

    async delete(userId, event) {
      await inTransactionSpan(tracer, "delete_account", () =>
        db.transaction(async (tx) => {
          const current = await lockForUpdate(tx, userId);
          await tx.delete(credentials).where(eq(credentials.userId, userId));
          await withOutboxCreateSpan(tracer, event(current.revision + 1), (e) => tx.insert(outbox).values(e));
        }),
      );
    },
  };
}

/**
 * Row lock first: concurrent changes of one user queue here, so their
 * revisions and their outbox ids come out in the same order.
 */
async function lockForUpdate(tx: Parameters<Parameters<Db["transaction"]>[0]>[0], userId: string): Promise<{ revision: number }> {
  const [row] = await tx.select({ revision: credentials.revision }).from(credentials).where(eq(credentials.userId, userId)).for("update");
  if (!row) throw notFound();
  return row;
}
