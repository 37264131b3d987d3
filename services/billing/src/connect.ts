import type { ConnectRouter } from "@connectrpc/connect";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { callerId } from "@acme/kit/auth/caller";
import type { Logger } from "@acme/kit/logging";
import type { UseCases } from "./app/use-cases.js";
import { addressFromMessage, contactMessage } from "./rpc/contact-messages.js";
import { toConnectError } from "./rpc/errors.js";

/** BillingService routes; the access token was verified by the server's interceptor (requireAccessToken). */
export function billingRoutes(useCases: UseCases, logger: Logger) {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toConnectError(error, logger);
    }
  };
  return (router: ConnectRouter) => {
    router.service(BillingService, {
      getBillingContact: (request, context) =>
        guard(async () => ({ contact: contactMessage(await useCases.getBillingContact({ callerId: callerId(context), userId: request.userId })) })),
      updateBillingAddress: (request, context) =>
        guard(async () => ({
          contact: contactMessage(
            await useCases.updateBillingAddress({
              callerId: callerId(context),
              userId: request.userId,
              address: addressFromMessage(request.address),
              billingEmail: request.billingEmail,
            }),
          ),
        })),
    });
  };
}
