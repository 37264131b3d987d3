/** Errors of auth's rules, each with a stable code; rpc/errors.ts maps them to Connect codes. */
export type AuthErrorCode =
  | "AUTH.INVALID_EMAIL"
  | "AUTH.INVALID_PASSWORD"
  | "AUTH.EMAIL_TAKEN"
  | "AUTH.BAD_CREDENTIALS"
  | "AUTH.TOO_MANY_ATTEMPTS"
  | "AUTH.ACCOUNT_NOT_FOUND";

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    /** For TOO_MANY_ATTEMPTS: when the caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "AuthError";
  }
}
