import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import type { JWTVerifyGetKey } from "jose";
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
  return (next) => async (request) => {
    if (!guarded.has(request.service.typeName)) return next(request);
    const claims = await verifyAccessToken(bearerToken(request.header), options.keys, options.policy);
    request.contextValues.set(callerKey, claims);
    return next(request);
  };
}

/** The caller's user id; `unauthenticated` if the interceptor did not run (fails closed). */
export function callerId(context: HandlerContext): string {
  const caller = context.values.get(callerKey);
  if (!caller) throw new ConnectError("sign in first: this call needs an access token from auth", Code.Unauthenticated);
  return caller.userId;
}
