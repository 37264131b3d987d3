/** Where invoices go, with an ISO 3166-1 alpha-2 country. */
export interface PostalAddress {
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  countryCode: string;
}

/**
 * A billing contact as billing stores it. The account email is auth's fact
 * (mirrored from its events); the billing email and address are the user's
 * own. Invoices go to the user's own billing email when they set one, else
 * to the account email, which then follows the account's changes.
 */
export interface BillingContactRecord {
  userId: string;
  accountEmail: string;
  /** Set by the user; null while invoices follow the account email. */
  ownBillingEmail: string | null;
  address: PostalAddress | null;
  /** Auth's revision of the user that the mirrored facts are at. */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface BillingContact {
  userId: string;
  billingEmail: string;
  address: PostalAddress | null;
  updatedAt: Date;
}

export function toBillingContact(record: BillingContactRecord): BillingContact {
  return {
    userId: record.userId,
    billingEmail: record.ownBillingEmail ?? record.accountEmail,
    address: record.address,
    updatedAt: record.updatedAt,
  };
}

/** What billing knows about a user id: nothing yet, a contact, or that the account is gone. */
export type ContactState =
  | { kind: "absent" }
  | { kind: "present"; contact: BillingContactRecord }
  | { kind: "deleted"; revision: number };
