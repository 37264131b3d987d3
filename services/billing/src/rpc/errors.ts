import { Code, ConnectError } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "@acme/kit/db/database";
import type { Logger } from "@acme/kit/logging";
import { BillingError, type BillingErrorCode } from "../domain/errors.js";

const CODES: Record<BillingErrorCode, Code> = {
  "BILLING.INVALID_ARGUMENT": Code.InvalidArgument,
  "BILLING.NOT_OWNER": Code.PermissionDenied,
  "BILLING.NOT_FOUND": Code.NotFound,
  "BILLING.ACCOUNT_DELETED": Code.NotFound,
};

/**
 * The one place where failures become Connect errors: domain errors keep
 * their message, an unreachable database is `unavailable`, anything else is
 * logged with its cause and answered `internal` without details.
 */
export function toConnectError(error: unknown, logger: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof BillingError) return new ConnectError(error.message, CODES[error.code]);
  if (isDatabaseUnavailable(error)) {
    logger.warn({ reason: (error as Error).message }, "database unavailable");
    return new ConnectError("billing's database is unavailable right now; try again shortly", Code.Unavailable);
  }
  logger.error({ err: error }, "unexpected error");
  return new ConnectError("internal error", Code.Internal);
}
