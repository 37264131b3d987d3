import { toBillingContact, type BillingContact, type ContactState } from "../domain/billing-contact.js";
import { assertOwner, BillingError } from "../domain/errors.js";

export interface ContactReader {
  load(userId: string): Promise<ContactState>;
}

export const notYetThere = (userId: string) =>
  new BillingError(
    "BILLING.NOT_FOUND",
    `no billing contact for user ${userId} yet: contacts are built from auth's UserRegistered event, which may still be on its way; try again in a moment`,
  );
export const accountDeleted = () => new BillingError("BILLING.ACCOUNT_DELETED", "this account has been deleted; its billing contact is gone");

export function presentOrThrow(state: ContactState, userId: string) {
  if (state.kind === "deleted") throw accountDeleted();
  if (state.kind === "absent") throw notYetThere(userId);
  return state.contact;
}

/** The caller's own billing contact (an empty user id means the caller). */
export const getBillingContact =
  (deps: { contacts: ContactReader }) =>
  async (input: { callerId: string; userId: string }): Promise<BillingContact> => {
    const userId = input.userId || input.callerId;
    assertOwner(input.callerId, userId);
    return toBillingContact(presentOrThrow(await deps.contacts.load(userId), userId));
  };
