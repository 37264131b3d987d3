import { assertOwner, ProfileError } from "../domain/errors.js";
import { toProfile, type Profile, type ProfileState } from "../domain/profile.js";

export interface ProfileReader {
  load(userId: string): Promise<ProfileState>;
}

export const notYetThere = (userId: string) =>
  new ProfileError(
    "PROFILE.NOT_FOUND",
    `no profile for user ${userId} yet: profiles are built from auth's UserRegistered event, which may still be on its way; try again in a moment`,
  );
export const accountDeleted = () => new ProfileError("PROFILE.ACCOUNT_DELETED", "this account has been deleted; its profile is gone");

/** The caller's own profile (an empty user id means the caller). */
export const getProfile =
  (deps: { profiles: ProfileReader }) =>
  async (input: { callerId: string; userId: string }): Promise<Profile> => {
    const userId = input.userId || input.callerId;
    assertOwner(input.callerId, userId);
    const state = await deps.profiles.load(userId);
    if (state.kind === "deleted") throw accountDeleted();
    if (state.kind === "absent") throw notYetThere(userId);
    return toProfile(state.profile);
  };
