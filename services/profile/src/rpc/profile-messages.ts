import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ProfileSchema, type Profile as ProfileMessage } from "@acme/gen/acme/profile/v1/profile_service_pb";
import type { Profile } from "../domain/profile.js";

export function profileMessage(profile: Profile): ProfileMessage {
  return create(ProfileSchema, {
    userId: profile.userId,
    displayName: profile.displayName,
    avatarUrl: profile.avatarUrl,
    createdAt: timestampFromDate(profile.createdAt),
    updatedAt: timestampFromDate(profile.updatedAt),
  });
}
