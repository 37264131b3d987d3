import { invalid } from "./errors.js";

export const DISPLAY_NAME_MAX = 64;
export const AVATAR_URL_MAX = 2_048;

// Control characters (NUL, CR, LF, C1...) and the Unicode line/paragraph separators.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// Bidirectional marks, embeddings, overrides and isolates: they reorder what a
// reader sees ("Trojan Source"). Zero-width joiners stay: emoji sequences and
// some scripts need them.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** NFC, trimmed, 1 to 64 characters (counted after normalisation), no control or bidirectional characters. */
export function validDisplayName(value: string): string {
  const name = value.normalize("NFC").trim();
  if (CONTROL.test(name)) throw invalid("display_name", "must not contain control characters");
  if (BIDI.test(name)) throw invalid("display_name", "must not contain bidirectional control characters");
  const length = [...name].length;
  if (length === 0) throw invalid("display_name", "must not be empty");
  if (length > DISPLAY_NAME_MAX) throw invalid("display_name", `must be at most ${DISPLAY_NAME_MAX} characters`);
  return name;
}

/** "" removes the avatar; anything else must be an absolute https URL without credentials. */
export function validAvatarUrl(value: string): string {
  const text = value.trim();
  if (text === "") return "";
  if (text.length > AVATAR_URL_MAX) throw invalid("avatar_url", `must be at most ${AVATAR_URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("avatar_url", "must be an absolute https URL");
  }
  if (url.protocol !== "https:") throw invalid("avatar_url", "must use https");
  if (!url.hostname) throw invalid("avatar_url", "must name a host");
  if (url.username || url.password) throw invalid("avatar_url", "must not contain a user name or password");
  return url.toString();
}
