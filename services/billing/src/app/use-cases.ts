import { getBillingContact, type ContactReader } from "./get-billing-contact.js";
import { updateBillingAddress, type ContactWriter } from "./update-billing-address.js";

export function createUseCases(deps: { contacts: ContactReader & ContactWriter }) {
  return {
    getBillingContact: getBillingContact(deps),
    updateBillingAddress: updateBillingAddress(deps),
  };
}

export type UseCases = ReturnType<typeof createUseCases>;
