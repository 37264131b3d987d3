import type { ConnectRouter } from "@connectrpc/connect";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { ownerInput, projectionErrors } from "@acme/kit/projection";
import type { UseCases } from "./app/use-cases.js";
import { BillingError } from "./domain/errors.js";
import { addressFromMessage, contactMessage } from "./rpc/contact-messages.js";

/** Billing's domain errors as Connect errors (its rule violations, the owner-only access rules), for the server's error mapping. */
export const toConnectError = projectionErrors(BillingError);

/** BillingService routes; the access token was verified by the server's interceptor (requireAccessToken), what they throw is mapped by another. */
export function billingRoutes(useCases: UseCases) {
  return (router: ConnectRouter) => {
    router.service(BillingService, {
      getBillingContact: async (request, context) => ({ contact: contactMessage(await useCases.getBillingContact(ownerInput(request, context))) }),
      async updateBillingAddress(request, context) {
        const update = { ...ownerInput(request, context), address: addressFromMessage(request.address), billingEmail: request.billingEmail };
        return { contact: contactMessage(await useCases.updateBillingAddress(update)) };
      },
    });
  };
}
