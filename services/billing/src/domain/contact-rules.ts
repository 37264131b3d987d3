import type { PostalAddress } from "./billing-contact.js";
import { COUNTRY_CODES } from "./country-codes.js";
import { invalid } from "./errors.js";

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]*$/;

function text(field: string, value: string, options: { required: boolean; max: number }): string {
  const trimmed = value.trim();
  if (options.required && trimmed === "") throw invalid(field, "must not be empty");
  if ([...trimmed].length > options.max) throw invalid(field, `must be at most ${options.max} characters`);
  if (CONTROL.test(trimmed)) throw invalid(field, "must not contain control characters");
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
  const email = value.trim();
  if (email === "") return null;
  if (email.length > 254 || !EMAIL.test(email)) throw invalid("billing_email", "must be an email address such as invoices@example.com");
  return email;
}
