import type { ConnectRouter } from "@connectrpc/connect";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import type { Logger } from "@acme/kit/logging";
import { ownerInput, projectionErrorMapper, rpcGuard } from "@acme/kit/projection";
import type { UseCases } from "./app/use-cases.js";
import { BillingError } from "./domain/errors.js";
import { addressFromMessage, contactMessage } from "./rpc/contact-messages.js";

/** BillingService routes; the access token was verified by the server's interceptor (requireAccessToken). */
export function billingRoutes(useCases: UseCases, logger: Logger) {
  const guard = rpcGuard(projectionErrorMapper("billing", BillingError), logger);
  return (router: ConnectRouter) => {
    router.service(BillingService, {
      getBillingContact: (request, context) => guard(() => useCases.getBillingContact(ownerInput(request, context)).then((contact) => ({ contact: contactMessage(contact) }))),
      updateBillingAddress: (request, context) =>
        guard(async () => {
          const update = { ...ownerInput(request, context), address: addressFromMessage(request.address), billingEmail: request.billingEmail };
          return { contact: contactMessage(await useCases.updateBillingAddress(update)) };
        }),
    });
  };
}
