import { getProfile, type ProfileReader } from "./get-profile.js";
import { updateProfile, type ProfileWriter } from "./update-profile.js";

export function createUseCases(deps: { profiles: ProfileReader & ProfileWriter }) {
  return {
    getProfile: getProfile(deps),
    updateProfile: updateProfile(deps),
  };
}

export type UseCases = ReturnType<typeof createUseCases>;
