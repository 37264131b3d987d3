import type { ConnectRouter } from "@connectrpc/connect";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { ownerInput, projectionErrors } from "@acme/kit/projection";
import type { UseCases } from "./app/use-cases.js";
import { ProfileError } from "./domain/errors.js";
import { profileMessage } from "./rpc/profile-messages.js";

/** Profile's domain errors as Connect errors (its rule violations, the owner-only access rules), for the server's error mapping. */
export const toConnectError = projectionErrors(ProfileError);

/** ProfileService routes; the access token was verified by the server's interceptor (requireAccessToken), what they throw is mapped by another. */
export function profileRoutes(useCases: UseCases) {
  return (router: ConnectRouter) =>
    router.service(ProfileService, {
      getProfile: async (request, context) => ({ profile: profileMessage(await useCases.getProfile(ownerInput(request, context))) }),
      async updateProfile(request, context) {
        const { displayName, avatarUrl } = request;
        return { profile: profileMessage(await useCases.updateProfile({ ...ownerInput(request, context), displayName, avatarUrl })) };
      },
    });
}
