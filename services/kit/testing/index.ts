// Test doubles for other packages' tests: a producer's stream and events, auth's stand-in, a token issuer.
export { authStandIn, type AuthStandIn } from "./auth-stand-in.js";
export { declareEventStream, publishEvent } from "./event-stream.js";
export { startTokenIssuerStub, type TokenIssuerStub } from "./token-issuer-stub.js";
