import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "../db/database.js";
import type { Logger } from "../logging.js";

/**
 * A service's own failures as Connect errors: each domain error it knows,
 * with the code it stands for; `undefined` for anything else. Written once
 * per service (auth's rpc/errors.ts, profile's and billing's connect.ts).
 */
export type DomainErrorMapping = (error: unknown) => ConnectError | undefined;

export interface ErrorMappingOptions {
  /** Named in the `unavailable` message: "<service>'s database is unavailable right now". */
  service: string;
  logger: Logger;
  /** The service's domain errors; without it only outages and unexpected errors are mapped. */
  toConnectError?: DomainErrorMapping | undefined;
}

/**
 * The one place where what an RPC throws becomes what the caller sees,
 * installed on the server so no handler can forget it (startServiceServer):
 *
 * - a ConnectError passes as thrown (the handler chose its code and words);
 * - a domain error gets its service's code and keeps its message;
 * - an unreachable database is `unavailable`, its reason logged as a warning;
 * - anything else is `internal error`, with no detail for the caller: its
 *   cause (message, stack) is logged here, once, with the procedure. Never
 *   the request: it may carry a password or a token.
 */
export function errorMapping(options: ErrorMappingOptions): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      throw toConnectError(error, options, `${request.service.typeName}/${request.method.name}`);
    }
  };
}

function toConnectError(error: unknown, options: ErrorMappingOptions, procedure: string): ConnectError {
  if (error instanceof ConnectError) return error;
  const known = options.toConnectError?.(error);
  if (known) return known;
  if (isDatabaseUnavailable(error)) {
    options.logger.warn({ procedure, reason: (error as Error).message }, "database unavailable");
    return new ConnectError(`${options.service}'s database is unavailable right now; try again shortly`, Code.Unavailable);
  }
  options.logger.error({ procedure, err: error }, "unexpected error");
  return new ConnectError("internal error", Code.Internal);
}
