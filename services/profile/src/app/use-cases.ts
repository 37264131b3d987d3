import { type OwnFieldsStore, ownedRecords, type OwnerInput } from "@acme/kit/projection";
import { toProfile, type Profile, type ProfileOwnFields, type ProfileRecord } from "../domain/profile.js";
import { validAvatarUrl, validDisplayName } from "../domain/profile-rules.js";

const ownProfiles = ownedRecords<ProfileRecord>({ one: "profile", many: "profiles" });

export interface UpdateProfileInput extends OwnerInput {
  /** Unset keeps the current value. */
  displayName?: string | undefined;
  /** Unset keeps the current value; "" removes the avatar. */
  avatarUrl?: string | undefined;
}

/** Profile's use cases: a caller reads and changes only their own profile; the account email stays auth's. */
export function createUseCases(deps: { profiles: OwnFieldsStore<ProfileRecord, ProfileOwnFields>; now?: () => Date }) {
  return {
    /** The caller's own profile. */
    getProfile: async (input: OwnerInput): Promise<Profile> => toProfile(await ownProfiles.read(deps.profiles, input)),

    /** The owner changes their display name and avatar. */
    async updateProfile(input: UpdateProfileInput): Promise<Profile> {
      const fields = (): ProfileOwnFields => ({
        ...(input.displayName !== undefined ? { ownDisplayName: validDisplayName(input.displayName) } : {}),
        ...(input.avatarUrl !== undefined ? { avatarUrl: validAvatarUrl(input.avatarUrl) } : {}),
      });
      return toProfile(await ownProfiles.update(deps.profiles, input, fields, deps.now?.() ?? new Date()));
    },
  };
}

export type UseCases = ReturnType<typeof createUseCases>;
