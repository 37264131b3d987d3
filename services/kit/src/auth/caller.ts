import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { decodeJwt, type JWTVerifyGetKey } from "jose";
import { bearerToken, verifyAccessToken, type AccessTokenClaims, type AccessTokenPolicy } from "./access-token.js";

/** The verified caller of the current RPC, set by requireAccessToken. */
const callerKey = createContextKey<AccessTokenClaims | undefined>(undefined, { description: "authenticated caller" });

/**
 * Every call to one of `services` must carry a valid access token from auth
 * (EdDSA, issuer, audience, expiry; see verifyAccessToken); others (health)
 * pass untouched. Installed once on the server, so no handler can forget it.
 */
export function requireAccessToken(options: { keys: JWTVerifyGetKey; policy: AccessTokenPolicy; services: DescService[] }): Interceptor {
  const guarded = new Set(options.services.map((s) => s.typeName));
  const verified = createVerifiedTokenCache();
  return (next) => async (request) => {
    if (!guarded.has(request.service.typeName)) return next(request);
    const token = bearerToken(request.header);
    let claims = verified.get(token);
    if (!claims) {
      claims = await verifyAccessToken(token, options.keys, options.policy);
      verified.set(token, claims);
    }
    request.contextValues.set(callerKey, claims);
    return next(request);
  };
}

/**
 * Tokens that passed full verification, so a client's every call does not
 * pay an Ed25519 verification. The key is the whole token, signature
 * included. An entry lives until the token expires, and at most a minute:
 * a key auth withdraws from its JWKS stops being honoured soon after, as it
 * would without the cache.
 */
function createVerifiedTokenCache(maxEntries = 10_000, maxAgeMs = 60_000) {
  const entries = new Map<string, { claims: AccessTokenClaims; until: number }>();
  return {
    get(token: string): AccessTokenClaims | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (Date.now() < entry.until) return entry.claims;
      entries.delete(token);
      return undefined;
    },
    set(token: string, claims: AccessTokenClaims): void {
      const exp = decodeJwt(token).exp;
      if (exp === undefined) return;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(token, { claims, until: Math.min(exp * 1000, Date.now() + maxAgeMs) });
    },
  };
}

/** The caller's user id; `unauthenticated` if the interceptor did not run (fails closed). */
export function callerId(context: HandlerContext): string {
  const caller = context.values.get(callerKey);
  if (!caller) throw new ConnectError("sign in first: this call needs an access token from auth", Code.Unauthenticated);
  return caller.userId;
}
