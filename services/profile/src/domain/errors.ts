/** Errors of profile's rules, each with a stable code; rpc/errors.ts maps them to Connect codes. */
export type ProfileErrorCode =
  | "PROFILE.INVALID_ARGUMENT"
  | "PROFILE.NOT_OWNER"
  | "PROFILE.NOT_FOUND"
  | "PROFILE.ACCOUNT_DELETED";

export class ProfileError extends Error {
  override readonly name = "ProfileError";
  constructor(
    readonly code: ProfileErrorCode,
    message: string,
    /** The request field at fault, for INVALID_ARGUMENT. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export const invalid = (field: string, problem: string) => new ProfileError("PROFILE.INVALID_ARGUMENT", `${field}: ${problem}`, field);

/** A user reads and changes only their own profile. */
export function assertOwner(callerId: string, userId: string): void {
  if (callerId !== userId) throw new ProfileError("PROFILE.NOT_OWNER", "you may read and change only your own profile");
}
