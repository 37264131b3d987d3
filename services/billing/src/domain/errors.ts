/** Errors of billing's rules, each with a stable code; rpc/errors.ts maps them to Connect codes. */
export type BillingErrorCode =
  | "BILLING.INVALID_ARGUMENT"
  | "BILLING.NOT_OWNER"
  | "BILLING.NOT_FOUND"
  | "BILLING.ACCOUNT_DELETED";

export class BillingError extends Error {
  override readonly name = "BillingError";
  constructor(
    readonly code: BillingErrorCode,
    message: string,
    /** The request field at fault, for INVALID_ARGUMENT. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export const invalid = (field: string, problem: string) => new BillingError("BILLING.INVALID_ARGUMENT", `${field}: ${problem}`, field);

/** A user reads and changes only their own billing contact. */
export function assertOwner(callerId: string, userId: string): void {
  if (callerId !== userId) throw new BillingError("BILLING.NOT_OWNER", "you may read and change only your own billing contact");
}
