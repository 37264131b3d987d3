import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { callerId } from "../auth/caller.js";
import { isDatabaseUnavailable } from "../db/database.js";
import type { Logger } from "../logging.js";
import { OwnedRecordError, type OwnedRecordErrorCode, type OwnerInput } from "./owned-records.js";

const CODES: Record<OwnedRecordErrorCode, Code> = {
  NOT_OWNER: Code.PermissionDenied,
  NOT_FOUND: Code.NotFound,
  ACCOUNT_DELETED: Code.NotFound,
};

/**
 * The one place where a projection service's failures become Connect
 * errors: its own rule violations (`invalidArgument`, an error class of its
 * domain) are `invalid_argument` with their message, the access rules of
 * owned-records.ts keep their message and get their code, an unreachable database is
 * `unavailable`, anything else is logged with its cause and answered
 * `internal` without details.
 */
export function projectionErrorMapper(service: string, invalidArgument: abstract new (...args: never[]) => Error) {
  return (error: unknown, logger: Logger): ConnectError => {
    if (error instanceof ConnectError) return error;
    if (error instanceof invalidArgument) return new ConnectError(error.message, Code.InvalidArgument);
    if (error instanceof OwnedRecordError) return new ConnectError(error.message, CODES[error.code]);
    if (isDatabaseUnavailable(error)) {
      logger.warn({ reason: (error as Error).message }, "database unavailable");
      return new ConnectError(`${service}'s database is unavailable right now; try again shortly`, Code.Unavailable);
    }
    logger.error({ err: error }, "unexpected error");
    return new ConnectError("internal error", Code.Internal);
  };
}

/** Runs an RPC handler's work, turning what it throws into a Connect error with `toConnectError`. */
export function rpcGuard(toConnectError: (error: unknown, logger: Logger) => ConnectError, logger: Logger) {
  return async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toConnectError(error, logger);
    }
  };
}

/** Who asks (the verified caller) about whom (the request's user id, empty for the caller). */
export function ownerInput(request: { userId: string }, context: HandlerContext): OwnerInput {
  return { callerId: callerId(context), userId: request.userId };
}
