import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  BillingContactSchema,
  type BillingContact as BillingContactMessage,
  type PostalAddress as PostalAddressMessage,
} from "@acme/gen/acme/billing/v1/billing_service_pb";
import type { BillingContact, PostalAddress } from "../domain/billing-contact.js";

export function contactMessage(contact: BillingContact): BillingContactMessage {
  return create(BillingContactSchema, {
    userId: contact.userId,
    billingEmail: contact.billingEmail,
    ...(contact.address ? { address: contact.address } : {}),
    updatedAt: timestampFromDate(contact.updatedAt),
  });
}

export function addressFromMessage(message: PostalAddressMessage | undefined): PostalAddress | undefined {
  if (!message) return undefined;
  return { line1: message.line1, line2: message.line2, city: message.city, postalCode: message.postalCode, countryCode: message.countryCode };
}
