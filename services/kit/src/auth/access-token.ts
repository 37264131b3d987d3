import { Code, ConnectError } from "@connectrpc/connect";
import type { Tracer } from "@opentelemetry/api";
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { tracedFetch } from "../observability/traced-fetch.js";

/** What a service requires of an access token issued by auth. */
export interface AccessTokenPolicy {
  issuer: string;
  audience: string;
  /**
   * Refuse tokens issued (iat) longer ago than this, whatever their `exp`
   * says: a leaked signing key or a misconfigured issuer cannot mint
   * tokens that live for years here.
   */
  maxAgeSeconds: number;
}

/** Verifiers' default maximum token age (ACCESS_TOKEN_MAX_AGE_SECONDS): auth's longest allowed token lifetime. */
export const DEFAULT_ACCESS_TOKEN_MAX_AGE_SECONDS = 86_400;

export interface AccessTokenClaims {
  userId: string;
}

/** The only algorithm auth signs with; anything else (none, HS256, RS256...) is refused. */
export const ACCESS_TOKEN_ALGORITHM = "EdDSA";

/**
 * Auth's public keys, fetched from its JWKS endpoint and cached. A token with
 * a `kid` not in the cache triggers one refetch (auth rotated its key), at
 * most once per cooldown, so forged kids cannot make us hammer auth.
 * With a tracer, each fetch is a client span.
 */
export function remoteKeySet(jwksUrl: string, tracer?: Tracer): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
    timeoutDuration: 5_000,
    ...(tracer ? { [customFetch]: tracedFetch(tracer, "fetch JWKS") } : {}),
  });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      // A key set that was fetched and lacks the key: the token's fault.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      // Anything else is the fetch failing (refused, timeout, HTTP 500, not a JWK set): auth's fault, worth retrying.
      throw new KeySetUnavailable(error);
    }
  };
}

class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super("auth's JWKS could not be fetched", { cause });
  }
}

/** The token of an `Authorization: Bearer <token>` header, or `unauthenticated`. */
export function bearerToken(headers: Headers): string {
  const value = headers.get("authorization");
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  if (!match?.[1]) throw new ConnectError("sign in first: send 'Authorization: Bearer <access token from auth Login>'", Code.Unauthenticated);
  return match[1];
}

/**
 * Verifies signature, algorithm, issuer, audience and expiry. Headers that
 * point at other keys (`jku`, `jwk`, `x5u`, `x5c`) are refused outright: the
 * only keys we trust are auth's published ones.
 */
export async function verifyAccessToken(token: string, keys: JWTVerifyGetKey, policy: AccessTokenPolicy): Promise<AccessTokenClaims> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new ConnectError("the access token is malformed", Code.Unauthenticated);
  }
  if (header.jku || header.jwk || header.x5u || header.x5c) {
    throw new ConnectError("the access token names its own key; only auth's published keys are trusted", Code.Unauthenticated);
  }
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: policy.issuer,
      audience: policy.audience,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      requiredClaims: ["sub", "exp", "iat"],
      maxTokenAge: policy.maxAgeSeconds,
      clockTolerance: 5,
    });
    return { userId: payload.sub! };
  } catch (error) {
    if (error instanceof KeySetUnavailable || error instanceof errors.JWKSTimeout || error instanceof TypeError) {
      // auth's JWKS could not be fetched: not the caller's fault, and worth retrying.
      throw new ConnectError("cannot reach auth's public keys to check the access token; try again shortly", Code.Unavailable);
    }
    throw new ConnectError(describeTokenError(error), Code.Unauthenticated);
  }
}

function describeTokenError(error: unknown): string {
  if (error instanceof errors.JWTExpired && error.claim === "iat") return "the access token was issued too long ago; sign in again";
  if (error instanceof errors.JWTExpired) return "the access token has expired; sign in again";
  if (error instanceof errors.JWTClaimValidationFailed) return `the access token is not valid here: ${error.message}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return "the access token is not signed with EdDSA";
  if (error instanceof errors.JWKSNoMatchingKey) return "the access token was signed with a key auth does not publish";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the access token's signature is invalid";
  return "the access token is invalid";
}
