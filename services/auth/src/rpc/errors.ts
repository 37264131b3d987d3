import { Code, ConnectError } from "@connectrpc/connect";
import type { DomainErrorMapping } from "@acme/kit/server";
import { AuthError, type AuthErrorCode } from "../domain/errors.js";

const CODES: Record<AuthErrorCode, Code> = {
  "AUTH.INVALID_EMAIL": Code.InvalidArgument,
  "AUTH.INVALID_PASSWORD": Code.InvalidArgument,
  "AUTH.EMAIL_TAKEN": Code.AlreadyExists,
  "AUTH.BAD_CREDENTIALS": Code.Unauthenticated,
  "AUTH.TOO_MANY_ATTEMPTS": Code.ResourceExhausted,
  "AUTH.ACCOUNT_NOT_FOUND": Code.NotFound,
};

/**
 * Auth's domain errors as Connect errors: they keep their message, and a
 * refusal by the throttle says when to try again (`retry-after`). The server
 * applies it to every RPC (kit's errorMapping, which also answers an
 * unreachable database `unavailable` and anything else `internal`).
 */
export const toConnectError: DomainErrorMapping = (error) => {
  if (!(error instanceof AuthError)) return undefined;
  const connectError = new ConnectError(error.message, CODES[error.code]);
  if (error.retryAfterSeconds) connectError.metadata.set("retry-after", String(error.retryAfterSeconds));
  return connectError;
};
