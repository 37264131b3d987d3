import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { callerId } from "../auth/caller.js";
import type { DomainErrorMapping } from "../server/error-mapping.js";
import { OwnedRecordError, type OwnedRecordErrorCode, type OwnerInput } from "./owned-records.js";

const CODES: Record<OwnedRecordErrorCode, Code> = {
  NOT_OWNER: Code.PermissionDenied,
  NOT_FOUND: Code.NotFound,
  ACCOUNT_DELETED: Code.NotFound,
};

/**
 * A projection service's domain errors as Connect errors, for the server's
 * error mapping (server/error-mapping.ts): its own rule violations
 * (`invalidArgument`, an error class of its domain) are `invalid_argument`
 * with their message; the access rules of owned-records.ts keep their
 * message and get their code. Outages and anything unexpected are the
 * server's mapping's.
 */
export function projectionErrors(invalidArgument: abstract new (...args: never[]) => Error): DomainErrorMapping {
  return (error) => {
    if (error instanceof invalidArgument) return new ConnectError(error.message, Code.InvalidArgument);
    if (error instanceof OwnedRecordError) return new ConnectError(error.message, CODES[error.code]);
    return undefined;
  };
}

/** Who asks (the verified caller) about whom (the request's user id, empty for the caller). */
export function ownerInput(request: { userId: string }, context: HandlerContext): OwnerInput {
  return { callerId: callerId(context), userId: request.userId };
}
