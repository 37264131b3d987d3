import { toBillingContact, type BillingContact, type BillingContactRecord, type ContactState, type PostalAddress } from "../domain/billing-contact.js";
import { validAddress, validBillingEmail } from "../domain/contact-rules.js";
import { assertOwner } from "../domain/errors.js";
import { accountDeleted, notYetThere, presentOrThrow } from "./get-billing-contact.js";

export interface ContactWriter {
  load(userId: string): Promise<ContactState>;
  updateOwnFields(userId: string, fields: { ownBillingEmail?: string | null; address?: PostalAddress }, now: Date): Promise<BillingContactRecord | undefined>;
}

export interface UpdateBillingAddressInput {
  callerId: string;
  userId: string;
  /** Unset keeps the current address. */
  address?: PostalAddress | undefined;
  /** Unset keeps it; "" goes back to following the account email. */
  billingEmail?: string | undefined;
}

/** The owner sets where invoices go; the account email stays auth's. */
export const updateBillingAddress =
  (deps: { contacts: ContactWriter; now?: () => Date }) =>
  async (input: UpdateBillingAddressInput): Promise<BillingContact> => {
    const userId = input.userId || input.callerId;
    assertOwner(input.callerId, userId);
    const fields: { ownBillingEmail?: string | null; address?: PostalAddress } = {};
    if (input.address) fields.address = validAddress(input.address);
    if (input.billingEmail !== undefined) fields.ownBillingEmail = validBillingEmail(input.billingEmail);
    if (Object.keys(fields).length === 0) return toBillingContact(presentOrThrow(await deps.contacts.load(userId), userId));
    const updated = await deps.contacts.updateOwnFields(userId, fields, deps.now?.() ?? new Date());
    if (updated) return toBillingContact(updated);
    const state = await deps.contacts.load(userId);
    throw state.kind === "deleted" ? accountDeleted() : notYetThere(userId);
  };
