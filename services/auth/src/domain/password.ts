import { createRequire } from "node:module";
import { AuthError } from "./errors.js";

/** NIST SP 800-63B: at least 8 characters; a generous maximum keeps hashing cheap to bound. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/**
 * zxcvbn-ts's list of common passwords (about 49,000, from breach corpora),
 * lower case. NIST SP 800-63B asks for new passwords to be checked against
 * such a list; a match is refused, saying why.
 */
let commonPasswords: ReadonlySet<string> | undefined;
// Loaded on the first new password, not at start: the list's module costs an
// idle auth several MB it needs only when someone registers or changes a
// password. require (its CommonJS build) keeps the check synchronous.
const COMMON_PASSWORDS = {
  has(word: string): boolean {
    commonPasswords ??= new Set(
      (createRequire(import.meta.url)("@zxcvbn-ts/language-common") as typeof import("@zxcvbn-ts/language-common")).dictionary["passwords-common"],
    );
    return commonPasswords.has(word);
  },
};

/**
 * The form a password is hashed and verified in: Unicode NFC, so "é" typed
 * as one code point or as e + combining accent is the same password
 * (NIST SP 800-63B 5.1.1.2). Hashes made before normalisation still verify
 * (login tries the form as typed when the normalised one differs).
 */
export function normalisePassword(password: string): string {
  return password.normalize("NFC");
}

/** Checks a new password: length (in characters, as a person counts them, after NFC) and the common-password list. */
export function checkNewPassword(password: string): void {
  const normalised = normalisePassword(password);
  const length = [...normalised].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new AuthError("AUTH.INVALID_PASSWORD", `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new AuthError("AUTH.INVALID_PASSWORD", `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (isCommonPassword(normalised)) {
    throw new AuthError("AUTH.INVALID_PASSWORD", "password is too common: it is on a list of passwords that attackers try first; choose another");
  }
}

/** On the list as typed, in lower case, or with the digits and symbols people append to a listed word ("password123!"). */
function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  const stem = lower.replace(/[\d\p{P}\p{S}\s]+$/u, "");
  return COMMON_PASSWORDS.has(lower) || (stem.length >= 4 && COMMON_PASSWORDS.has(stem));
}

/** A login attempt with an absurd password is refused before any hashing. */
export function isPlausiblePassword(password: string): boolean {
  return password.length > 0 && [...password].length <= MAX_PASSWORD_LENGTH;
}
