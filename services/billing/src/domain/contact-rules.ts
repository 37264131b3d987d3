import type { PostalAddress } from "./billing-contact.js";
import { COUNTRY_CODES } from "./country-codes.js";
import { invalid } from "./errors.js";

// Control characters (NUL, CR, LF, C1...) and the Unicode line/paragraph separators.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// Bidirectional marks, embeddings, overrides and isolates: they reorder what a reader (or an invoice) shows.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// In an email every format character is refused: zero-width ones make two addresses that look alike.
const FORMAT = /\p{Cf}/u;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]*$/;

/** NFC, trimmed; control and bidirectional characters refused; length counted after normalisation. */
function text(field: string, value: string, options: { required: boolean; max: number }): string {
  const trimmed = value.normalize("NFC").trim();
  if (CONTROL.test(trimmed)) throw invalid(field, "must not contain control characters");
  if (BIDI.test(trimmed)) throw invalid(field, "must not contain bidirectional control characters");
  if (options.required && trimmed === "") throw invalid(field, "must not be empty");
  if ([...trimmed].length > options.max) throw invalid(field, `must be at most ${options.max} characters`);
  return trimmed;
}

/** Every field checked and trimmed; the country code upper-cased and checked against ISO 3166-1. */
export function validAddress(address: PostalAddress): PostalAddress {
  const countryCode = address.countryCode.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(countryCode)) throw invalid("address.country_code", "must be an ISO 3166-1 alpha-2 code such as DE");
  if (!COUNTRY_CODES.has(countryCode)) throw invalid("address.country_code", `"${countryCode}" is not an assigned ISO 3166-1 country code`);
  const postalCode = text("address.postal_code", address.postalCode, { required: true, max: 16 });
  if (!POSTAL_CODE.test(postalCode)) throw invalid("address.postal_code", "may contain only letters, digits, spaces and '-'");
  return {
    line1: text("address.line1", address.line1, { required: true, max: 100 }),
    line2: text("address.line2", address.line2, { required: false, max: 100 }),
    city: text("address.city", address.city, { required: true, max: 100 }),
    postalCode,
    countryCode,
  };
}

/** "" means "no own billing email" (follow the account email again); anything else must look like an email. */
export function validBillingEmail(value: string): string | null {
  const email = value.normalize("NFC").trim();
  if (email === "") return null;
  if (CONTROL.test(email)) throw invalid("billing_email", "must not contain control characters");
  if (FORMAT.test(email)) throw invalid("billing_email", "must not contain invisible formatting characters (zero-width, bidirectional)");
  if (email.length > 254 || !EMAIL.test(email)) throw invalid("billing_email", "must be an email address such as invoices@example.com");
  return email;
}
