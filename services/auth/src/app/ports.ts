import type { OutboxEvent } from "@acme/kit/outbox";

export interface Credential {
  userId: string;
  email: string;
  passwordHash: string;
  revision: number;
}

/**
 * Auth's credentials with their outbox. Every method that changes a user
 * writes that change's event in the same transaction, or neither.
 */
export interface CredentialStore {
  findByEmail(email: string): Promise<Credential | undefined>;
  findById(userId: string): Promise<Credential | undefined>;
  /** Throws AuthError EMAIL_TAKEN when the email is in use (whatever its case). */
  create(credential: Omit<Credential, "revision">, event: OutboxEvent): Promise<void>;
  /** Locks the user's row, bumps its revision and records the event built for that revision. */
  changeEmail(userId: string, email: string, event: (revision: number) => OutboxEvent): Promise<void>;
  delete(userId: string, event: (revision: number) => OutboxEvent): Promise<void>;
}

/** A password check that was allowed: report how it went, exactly once. */
export interface ReservedAttempt {
  succeeded(): Promise<void>;
  failed(): Promise<void>;
}

/**
 * The attempt budget shared by every auth instance (security/login-throttle.ts).
 * Each method reserves before any hashing, or throws AuthError TOO_MANY_ATTEMPTS.
 */
export interface AttemptBudget {
  /** One password check for `account` (its normalised email), by `client` when known. At most one per account runs at a time. */
  reservePasswordCheck(account: string, client?: string): Promise<ReservedAttempt>;
  /** One registration by `client`. */
  reserveRegistration(client: string): Promise<void>;
}
