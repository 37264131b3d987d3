import { AuthError } from "./errors.js";

export const MAX_EMAIL_LENGTH = 254;

// Deliberately plain: one @, a non-empty local part without spaces or control
// characters, and a dotted domain of letters, digits and hyphens. The real
// proof that an address works is a confirmation mail, not a regex.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class exists to refuse control characters
const LOCAL_PART = /^[^\s@"<>()[\]\\,;:\u0000-\u001f\u007f]+$/u;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Control characters (NUL, CR, LF...), format characters (zero-width
 * spaces and joiners, bidirectional overrides and isolates, soft hyphens)
 * and line or paragraph separators: invisible or reordering, so two
 * addresses that look the same could be different accounts.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** NFC-normalises, trims, lower-cases and validates an email; throws INVALID_EMAIL naming what is wrong. Lengths count the normalised form. */
export function normaliseEmail(raw: string): string {
  const email = raw.normalize("NFC").trim().toLowerCase();
  if (email === "") throw new AuthError("AUTH.INVALID_EMAIL", "email is required");
  if (INVISIBLE.test(email)) {
    throw new AuthError("AUTH.INVALID_EMAIL", "email must not contain control characters or invisible formatting characters (zero-width, bidirectional)");
  }
  if (email.length > MAX_EMAIL_LENGTH) throw new AuthError("AUTH.INVALID_EMAIL", `email is longer than ${MAX_EMAIL_LENGTH} characters`);
  const at = email.lastIndexOf("@");
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at <= 0 || local.length > 64 || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) {
    throw new AuthError("AUTH.INVALID_EMAIL", "email must look like name@example.com");
  }
  return email;
}
