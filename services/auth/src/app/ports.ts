import type { AccessTokenClaims } from "@acme/kit/auth";
import type { OutboxEvent } from "@acme/kit/outbox";

/*
 * What auth's use cases need from the world, as interfaces they receive.
 * The adapters (security/, db/, events/) implement them; nothing in app/
 * imports an adapter, so each use case can be run with fakes.
 */

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

/** Password hashing (argon2id: security/password-hasher.ts). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** Spends the time of a real verification, for logins of unknown accounts. */
  verifyNothing(password: string): Promise<void>;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Auth's access tokens (security/token-issuer.ts): signs them at Login, checks them for ChangeEmail and DeleteAccount. */
export interface AccessTokenIssuer {
  issue(userId: string): Promise<IssuedToken>;
  verify(token: string): Promise<AccessTokenClaims>;
}

/**
 * Builds the event a change publishes (events/user-events.ts, the one source
 * of event bytes, which the Pact provider verification calls too). The use
 * case hands it to the CredentialStore, which writes it with the change.
 */
export interface UserEventBuilder {
  registered(user: { userId: string; email: string; at: Date }, traceparent?: string | undefined): OutboxEvent;
  emailChanged(change: { userId: string; email: string; at: Date; revision: number }, traceparent?: string | undefined): OutboxEvent;
  deleted(deletion: { userId: string; at: Date; revision: number }, traceparent?: string | undefined): OutboxEvent;
}
