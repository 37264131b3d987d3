/** A request field that breaks one of profile's rules (profile-rules.ts); answered `invalid_argument`. */
export class ProfileError extends Error {
  override readonly name = "ProfileError";
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export const invalid = (field: string, problem: string) => new ProfileError(field, problem);
