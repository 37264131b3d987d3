import { Code, ConnectError } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "@acme/kit/db/database";
import type { Logger } from "@acme/kit/logging";
import { ProfileError, type ProfileErrorCode } from "../domain/errors.js";

const CODES: Record<ProfileErrorCode, Code> = {
  "PROFILE.INVALID_ARGUMENT": Code.InvalidArgument,
  "PROFILE.NOT_OWNER": Code.PermissionDenied,
  "PROFILE.NOT_FOUND": Code.NotFound,
  "PROFILE.ACCOUNT_DELETED": Code.NotFound,
};

/**
 * The one place where failures become Connect errors: domain errors keep
 * their message, an unreachable database is `unavailable`, anything else is
 * logged with its cause and answered `internal` without details.
 */
export function toConnectError(error: unknown, logger: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof ProfileError) return new ConnectError(error.message, CODES[error.code]);
  if (isDatabaseUnavailable(error)) {
    logger.warn({ reason: (error as Error).message }, "database unavailable");
    return new ConnectError("profile's database is unavailable right now; try again shortly", Code.Unavailable);
  }
  logger.error({ err: error }, "unexpected error");
  return new ConnectError("internal error", Code.Internal);
}
