import type { ConnectRouter } from "@connectrpc/connect";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import type { Logger } from "@acme/kit/logging";
import { ownerInput, projectionErrorMapper, rpcGuard } from "@acme/kit/projection";
import type { UseCases } from "./app/use-cases.js";
import { ProfileError } from "./domain/errors.js";
import { profileMessage } from "./rpc/profile-messages.js";

/** Profile's failures as Connect errors: its rule violations, the owner-only access rules, an unreachable database. */
export const toConnectError = projectionErrorMapper("profile", ProfileError);

/** ProfileService routes; the access token was verified by the server's interceptor (requireAccessToken). */
export function profileRoutes(useCases: UseCases, logger: Logger) {
  const guard = rpcGuard(toConnectError, logger);
  return (router: ConnectRouter) =>
    router.service(ProfileService, {
      getProfile: (request, context) => guard(async () => ({ profile: profileMessage(await useCases.getProfile(ownerInput(request, context))) })),
      updateProfile: (request, context) =>
        guard(async () => {
          const { displayName, avatarUrl } = request;
          return { profile: profileMessage(await useCases.updateProfile({ ...ownerInput(request, context), displayName, avatarUrl })) };
        }),
    });
}
