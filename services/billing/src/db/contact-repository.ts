import { eq, sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import { coalesce } from "@acme/kit/db/coalesce";
import type { BillingContactRecord, ContactState, PostalAddress } from "../domain/billing-contact.js";
import { billingContacts, userTombstones, type schema } from "./schema.js";

/** The service's database or one of its transactions. */
export type BillingDb = PgDatabase<PostgresJsQueryResultHKT, typeof schema>;

export interface OwnFields {
  /** null: follow the account email again. */
  ownBillingEmail?: string | null;
  address?: PostalAddress;
}

type Row = typeof billingContacts.$inferSelect;

function toRecord(row: Row): BillingContactRecord {
  const { addressLine1, addressLine2, addressCity, addressPostalCode, addressCountryCode, ...rest } = row;
  const address =
    addressLine1 === null
      ? null
      : { line1: addressLine1, line2: addressLine2 ?? "", city: addressCity ?? "", postalCode: addressPostalCode ?? "", countryCode: addressCountryCode ?? "" };
  return { ...rest, address };
}

function toRow(contact: BillingContactRecord): Row {
  const { address, ...rest } = contact;
  return { ...rest, ...addressColumns(address) };
}

function addressColumns(address: PostalAddress | null) {
  return {
    addressLine1: address?.line1 ?? null,
    addressLine2: address?.line2 ?? null,
    addressCity: address?.city ?? null,
    addressPostalCode: address?.postalCode ?? null,
    addressCountryCode: address?.countryCode ?? null,
  };
}

function toState(row: { contact: Row | null; tombstoneRevision: number | null } | undefined): ContactState {
  if (row?.tombstoneRevision != null) return { kind: "deleted", revision: row.tombstoneRevision };
  if (row?.contact) return { kind: "present", contact: toRecord(row.contact) };
  return { kind: "absent" };
}

/** Saving replaces everything but the key: the caller decided the whole record. */
const upsert = {
  target: billingContacts.userId,
  set: {
    accountEmail: sql`excluded.account_email`,
    ownBillingEmail: sql`excluded.own_billing_email`,
    addressLine1: sql`excluded.address_line1`,
    addressLine2: sql`excluded.address_line2`,
    addressCity: sql`excluded.address_city`,
    addressPostalCode: sql`excluded.address_postal_code`,
    addressCountryCode: sql`excluded.address_country_code`,
    revision: sql`excluded.revision`,
    createdAt: sql`excluded.created_at`,
    updatedAt: sql`excluded.updated_at`,
  },
};

/**
 * The hot statements, prepared. Drizzle sends an unprepared query to
 * postgres.js as "describe, then execute": two round trips, and no
 * pipelining; a prepared one is one round trip and pipelines.
 */
function prepare(db: BillingDb) {
  const byKey = (source: ReturnType<typeof sql>) =>
    db
      .select({ id: sql<string>`k.id`, contact: billingContacts, tombstoneRevision: userTombstones.revision })
      .from(source)
      .leftJoin(billingContacts, sql`${billingContacts.userId} = k.id`)
      .leftJoin(userTombstones, sql`${userTombstones.userId} = k.id`);
  return {
    load: byKey(sql`(select ${sql.placeholder("userId")}::text as id) as k`).prepare("contact_load"),
    loadMany: byKey(sql`unnest(${sql.placeholder("ids")}::text[]) as k(id)`).prepare("contact_load_many"),
  };
}

/** Billing contacts in PostgreSQL (Drizzle); `db` may be a transaction. */
export function createContactRepository(db: BillingDb) {
  const statements = prepare(db);
  return {
    /** One round trip: the contact, or the tombstone, or neither. */
    async load(userId: string): Promise<ContactState> {
      const [row] = await statements.load.execute({ userId });
      return toState(row);
    },

    async save(contact: BillingContactRecord): Promise<void> {
      await db.insert(billingContacts).values(toRow(contact)).onConflictDoUpdate(upsert);
    },

    /** Removes the contact and leaves a tombstone, in one statement. */
    async delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void> {
      await db.execute(sql`
        with gone as (delete from ${billingContacts} where ${billingContacts.userId} = ${userId})
        insert into ${userTombstones} (user_id, revision, deleted_at)
        values (${userId}, ${tombstone.revision}, ${tombstone.at.toISOString()}::timestamptz)
        on conflict (user_id) do nothing`);
    },

    /** Changes the owner's fields only: events change the others, so neither overwrites the other. */
    async updateOwnFields(userId: string, fields: OwnFields, now: Date): Promise<BillingContactRecord | undefined> {
      const [row] = await db
        .update(billingContacts)
        .set({
          ...(fields.ownBillingEmail !== undefined ? { ownBillingEmail: fields.ownBillingEmail } : {}),
          ...(fields.address ? addressColumns(fields.address) : {}),
          updatedAt: now,
        })
        .where(eq(billingContacts.userId, userId))
        .returning();
      return row ? toRecord(row) : undefined;
    },

    /** Used by the batching variant. */
    statements,
  };
}

export type ContactRepository = Omit<ReturnType<typeof createContactRepository>, "statements">;

/**
 * For the consumer's transactions: the handlers of one batch run side by
 * side, so their loads and saves coalesce into one statement each.
 */
export function createBatchingContactRepository(db: BillingDb): ContactRepository {
  const plain = createContactRepository(db);
  return {
    ...plain,
    load: coalesce(async (ids: string[]) => {
      const rows = await plain.statements.loadMany.execute({ ids: [...new Set(ids)] });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => toState(byId.get(id)));
    }),
    save: coalesce(async (contacts: BillingContactRecord[]) => {
      // One row per user: a later save of the same round wins (one statement cannot touch a row twice).
      const latest = [...new Map(contacts.map((c) => [c.userId, toRow(c)])).values()];
      await db.insert(billingContacts).values(latest).onConflictDoUpdate(upsert);
      return contacts.map(() => undefined);
    }),
  };
}

const perTransaction = new WeakMap<BillingDb, ContactRepository>();

/** One batching repository (and one set of prepared statements) per consumer transaction. */
export function contactRepositoryFor(tx: BillingDb): ContactRepository {
  let repository = perTransaction.get(tx);
  if (!repository) perTransaction.set(tx, (repository = createBatchingContactRepository(tx)));
  return repository;
}
