import { AuthError } from "./errors.js";

/** NIST SP 800-63B: at least 8 characters; a generous maximum keeps hashing cheap to bound. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** Checks a new password's length (in characters, as a person counts them). */
export function checkNewPassword(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new AuthError("AUTH.INVALID_PASSWORD", `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new AuthError("AUTH.INVALID_PASSWORD", `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

/** A login attempt with an absurd password is refused before any hashing. */
export function isPlausiblePassword(password: string): boolean {
  return password.length > 0 && [...password].length <= MAX_PASSWORD_LENGTH;
}
