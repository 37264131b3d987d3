import { createProjectionStore, perTransaction, type ProjectionDb } from "@acme/kit/projection";
import type { BillingContactRecord, ContactOwnFields, PostalAddress } from "../domain/billing-contact.js";
import { billingContacts, userTombstones } from "./schema.js";

type Row = typeof billingContacts.$inferSelect;

/** The address is one field of the record and five columns of the row, all null when there is none. */
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

/** Billing contacts in PostgreSQL: the projection's store on `billing_contacts`, plus the owner's update. */
function contactStores(db: ProjectionDb) {
  const { store, batching } = createProjectionStore(db, { table: billingContacts, tombstones: userTombstones, name: "contact", toRecord, toRow });
  const updateOwnFields = (userId: string, fields: ContactOwnFields, now: Date) =>
    store.updateColumns(
      userId,
      {
        ...(fields.ownBillingEmail !== undefined ? { ownBillingEmail: fields.ownBillingEmail } : {}),
        ...(fields.address ? addressColumns(fields.address) : {}),
      },
      now,
    );
  return { store: { ...store, updateOwnFields }, batching: { ...batching, updateOwnFields } };
}

/** For the RPCs; `db` may be a transaction. */
export const createContactRepository = (db: ProjectionDb) => contactStores(db).store;
/** For the consumer's transactions: the loads and saves of one batch's handlers coalesce into one statement each. */
export const createBatchingContactRepository = (db: ProjectionDb) => contactStores(db).batching;
/** One batching repository (and one set of prepared statements) per consumer transaction. */
export const contactRepositoryFor = perTransaction(createBatchingContactRepository);

export type ContactRepository = ReturnType<typeof createContactRepository>;
