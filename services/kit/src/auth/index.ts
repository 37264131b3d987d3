// Access tokens as every service checks them.
export { ACCESS_TOKEN_ALGORITHM, bearerToken, remoteKeySet, verifyAccessToken, type AccessTokenClaims } from "./access-token.js";
export { callerId } from "./caller.js";
