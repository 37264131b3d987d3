import type { ConnectRouter } from "@connectrpc/connect";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { callerId } from "@acme/kit/auth/caller";
import type { Logger } from "@acme/kit/logging";
import type { UseCases } from "./app/use-cases.js";
import { toConnectError } from "./rpc/errors.js";
import { profileMessage } from "./rpc/profile-messages.js";

/** ProfileService routes; the access token was verified by the server's interceptor (requireAccessToken). */
export function profileRoutes(useCases: UseCases, logger: Logger) {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toConnectError(error, logger);
    }
  };
  return (router: ConnectRouter) => {
    router.service(ProfileService, {
      getProfile: (request, context) =>
        guard(async () => ({ profile: profileMessage(await useCases.getProfile({ callerId: callerId(context), userId: request.userId })) })),
      updateProfile: (request, context) =>
        guard(async () => ({
          profile: profileMessage(
            await useCases.updateProfile({
              callerId: callerId(context),
              userId: request.userId,
              displayName: request.displayName,
              avatarUrl: request.avatarUrl,
            }),
          ),
        })),
    });
  };
}
