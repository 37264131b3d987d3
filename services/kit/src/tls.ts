/** Walks an error's `cause` chain (clients wrap the socket's error). */
function* causes(error: unknown): Generator<Record<string, unknown>> {
  let current = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

const TLS_VERIFICATION_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * The server's certificate failed verification (wrong CA, wrong host name,
 * expired), or the server refused ours: a setting to fix, not an outage to
 * wait out. Returns the reason, or undefined.
 */
export function tlsVerificationError(error: unknown): string | undefined {
  for (const e of causes(error)) {
    const code = typeof e.code === "string" ? e.code : "";
    if (TLS_VERIFICATION_CODES.has(code) || code.startsWith("ERR_SSL_")) return `${code}: ${String(e.message)}`;
  }
  return undefined;
}
