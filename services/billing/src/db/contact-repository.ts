import { eq, sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
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

function addressColumns(address: PostalAddress | null) {
  return {
    addressLine1: address?.line1 ?? null,
    addressLine2: address?.line2 ?? null,
    addressCity: address?.city ?? null,
    addressPostalCode: address?.postalCode ?? null,
    addressCountryCode: address?.countryCode ?? null,
  };
}

/** Billing contacts in PostgreSQL (Drizzle); `db` may be a transaction (the consumer's). */
export function createContactRepository(db: BillingDb) {
  return {
    /** One round trip: the contact, or the tombstone, or neither. */
    async load(userId: string): Promise<ContactState> {
      const rows = await db
        .select({ contact: billingContacts, tombstoneRevision: userTombstones.revision })
        .from(sql`(select ${userId}::text as id) as k`)
        .leftJoin(billingContacts, sql`${billingContacts.userId} = k.id`)
        .leftJoin(userTombstones, sql`${userTombstones.userId} = k.id`);
      const row = rows[0];
      if (row?.tombstoneRevision != null) return { kind: "deleted", revision: row.tombstoneRevision };
      if (row?.contact) return { kind: "present", contact: toRecord(row.contact) };
      return { kind: "absent" };
    },

    async save(contact: BillingContactRecord): Promise<void> {
      const { address, ...rest } = contact;
      const values = { ...rest, ...addressColumns(address) };
      const { userId, ...set } = values;
      await db.insert(billingContacts).values(values).onConflictDoUpdate({ target: billingContacts.userId, set });
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
  };
}

export type ContactRepository = ReturnType<typeof createContactRepository>;
