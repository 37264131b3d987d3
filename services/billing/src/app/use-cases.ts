import { ownedRecords, type OwnerInput, type OwnFieldsStore } from "@acme/kit/projection";
import { toBillingContact, type BillingContactRecord, type ContactOwnFields, type PostalAddress } from "../domain/billing-contact.js";
import { validAddress, validBillingEmail } from "../domain/contact-rules.js";

const contacts = ownedRecords<BillingContactRecord>({ one: "billing contact", many: "contacts" });

export type UpdateBillingAddressInput = OwnerInput & {
  /** Unset keeps the current address. */
  address?: PostalAddress | undefined;
  /** Unset keeps it; "" goes back to following the account email. */
  billingEmail?: string | undefined;
};

/** The owner's fields a request sets, each checked against billing's rules. */
function checkedFields(input: UpdateBillingAddressInput): ContactOwnFields {
  const fields: ContactOwnFields = {};
  if (input.address) fields.address = validAddress(input.address);
  if (input.billingEmail !== undefined) fields.ownBillingEmail = validBillingEmail(input.billingEmail);
  return fields;
}

/** Billing's use cases: a caller reads their own billing contact and sets where invoices go; the account email stays auth's. */
export function createUseCases(deps: { contacts: OwnFieldsStore<BillingContactRecord, ContactOwnFields>; now?: () => Date }) {
  const now = () => deps.now?.() ?? new Date();
  return {
    getBillingContact: async (input: OwnerInput) => toBillingContact(await contacts.read(deps.contacts, input)),
    updateBillingAddress: async (input: UpdateBillingAddressInput) =>
      toBillingContact(await contacts.update(deps.contacts, input, () => checkedFields(input), now())),
  };
}

export type UseCases = ReturnType<typeof createUseCases>;
