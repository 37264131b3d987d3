import { assertOwner } from "../domain/errors.js";
import { toProfile, type Profile, type ProfileRecord, type ProfileState } from "../domain/profile.js";
import { validAvatarUrl, validDisplayName } from "../domain/profile-rules.js";
import { accountDeleted, notYetThere } from "./get-profile.js";

export interface ProfileWriter {
  load(userId: string): Promise<ProfileState>;
  updateOwnFields(userId: string, fields: { ownDisplayName?: string; avatarUrl?: string }, now: Date): Promise<ProfileRecord | undefined>;
}

export interface UpdateProfileInput {
  callerId: string;
  userId: string;
  /** Unset keeps the current value. */
  displayName?: string | undefined;
  /** Unset keeps the current value; "" removes the avatar. */
  avatarUrl?: string | undefined;
}

/** The owner changes their display name and avatar; the account email stays auth's. */
export const updateProfile =
  (deps: { profiles: ProfileWriter; now?: () => Date }) =>
  async (input: UpdateProfileInput): Promise<Profile> => {
    const userId = input.userId || input.callerId;
    assertOwner(input.callerId, userId);
    const fields: { ownDisplayName?: string; avatarUrl?: string } = {};
    if (input.displayName !== undefined) fields.ownDisplayName = validDisplayName(input.displayName);
    if (input.avatarUrl !== undefined) fields.avatarUrl = validAvatarUrl(input.avatarUrl);
    if (Object.keys(fields).length === 0) {
      const state = await deps.profiles.load(userId);
      if (state.kind === "present") return toProfile(state.profile);
      throw state.kind === "deleted" ? accountDeleted() : notYetThere(userId);
    }
    const updated = await deps.profiles.updateOwnFields(userId, fields, deps.now?.() ?? new Date());
    if (updated) return toProfile(updated);
    const state = await deps.profiles.load(userId);
    throw state.kind === "deleted" ? accountDeleted() : notYetThere(userId);
  };
