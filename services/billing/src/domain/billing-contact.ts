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

/** The fields only the owner changes. */
export interface ContactOwnFields {
  /** null: follow the account email again. */
  ownBillingEmail?: string | null;
  address?: PostalAddress;
}

/**
 * A new account's contact: no billing email of its own, no address. Auth's
 * events change only the account email after that, so a billing email the
 * user set survives every email change: it keeps receiving invoices, and the
 * account email waits behind it in case they remove it.
 */
export function newContact(account: Omit<BillingContactRecord, "ownBillingEmail" | "address">): BillingContactRecord {
  return { ...account, ownBillingEmail: null, address: null };
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
