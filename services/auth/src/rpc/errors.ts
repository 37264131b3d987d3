import { Code, ConnectError } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "@acme/kit/db";
import type { Logger } from "@acme/kit/logging";
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
 * The one place where failures become Connect errors. Domain errors keep
 * their message; an unreachable database is `unavailable`; anything else is
 * logged with its cause and answered `internal` without details.
 */
export function toConnectError(error: unknown, logger: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof AuthError) {
    const connectError = new ConnectError(error.message, CODES[error.code]);
    if (error.retryAfterSeconds) connectError.metadata.set("retry-after", String(error.retryAfterSeconds));
    return connectError;
  }
  if (isDatabaseUnavailable(error)) {
    logger.warn({ reason: (error as Error).message }, "database unavailable");
    return new ConnectError("auth's database is unavailable right now; try again shortly", Code.Unavailable);
  }
  logger.error({ err: error }, "unexpected error");
  return new ConnectError("internal error", Code.Internal);
}
