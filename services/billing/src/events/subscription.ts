import { accountProjection, type ProjectionDb } from "@acme/kit/projection";
import { contactRepositoryFor } from "../db/contact-repository.js";
import { newContact, type BillingContactRecord } from "../domain/billing-contact.js";

/**
 * Billing contacts are kit's per-user projection of auth's account events
 * (services/kit/src/projection). Events move only the account email, so
 * invoices follow it unless the user set a billing email of their own, which
 * is kept (services/billing/README.md, "Email changes"); a deletion removes the contact and
 * leaves a tombstone.
 */
export const billingProjection = accountProjection<BillingContactRecord, ProjectionDb>({ newRecord: newContact, storeFor: contactRepositoryFor });

export function billingEventRoutes() {
  return billingProjection.eventRoutes();
}
