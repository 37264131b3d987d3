/*
 * The rules every per-user projection of auth's account events follows,
 * whatever else the service keeps: the higher revision wins, whatever order
 * events arrive in; a deletion is final. Pure functions; the handlers in
 * account-projection.ts load, apply and persist.
 */

/** The columns auth's events decide; a projection record has these and the service's own. */
export interface AccountRecord {
  userId: string;
  accountEmail: string;
  /** Auth's revision of the user that the mirrored facts are at. */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What auth told us about an account's email, already checked (account-events.ts does the decoding). */
export interface AccountEmailFact {
  userId: string;
  email: string;
  revision: number;
  at: Date;
  /** A registration also tells when the account was created. */
  registration: boolean;
}

export interface AccountDeletedFact {
  userId: string;
  revision: number;
  at: Date;
}

/** What a service knows about a user id: nothing yet, a record, or that the account is gone. */
export type UserState<R> = { kind: "absent" } | { kind: "present"; record: R } | { kind: "deleted"; revision: number };

/** What applying one event decided. */
export type UserChange<R> =
  | { kind: "none"; reason: "account-deleted" | "stale" }
  | { kind: "save"; record: R }
  | { kind: "delete"; revision: number; at: Date };

/**
 * Applies a registration or email change whatever order they arrive in: the
 * higher revision's email wins; the record exists from the first of them
 * (an email change that overtook its registration creates it, with the
 * service's own columns at their defaults from `newRecord`); created_at is
 * the earliest time seen, the registration's once it arrives. Only the
 * account columns change: the service's own columns are the user's, and
 * events never touch them. Nothing comes back after a deletion.
 */
export function applyAccountEmail<R extends AccountRecord>(
  state: UserState<R>,
  fact: AccountEmailFact,
  now: Date,
  newRecord: (account: AccountRecord) => R,
): UserChange<R> {
  if (state.kind === "deleted") return { kind: "none", reason: "account-deleted" };
  if (state.kind === "absent") {
    return { kind: "save", record: newRecord({ userId: fact.userId, accountEmail: fact.email, revision: fact.revision, createdAt: fact.at, updatedAt: now }) };
  }
  const current = state.record;
  const createdAt = fact.registration && fact.at < current.createdAt ? fact.at : current.createdAt;
  if (fact.revision <= current.revision) {
    if (createdAt === current.createdAt) return { kind: "none", reason: "stale" };
    return { kind: "save", record: { ...current, createdAt } };
  }
  return { kind: "save", record: { ...current, accountEmail: fact.email, revision: fact.revision, createdAt, updatedAt: now } };
}

/** A deletion is final: the record goes, a tombstone (no personal data) stays so late events cannot bring it back. */
export function applyAccountDeleted<R>(state: UserState<R>, fact: AccountDeletedFact): UserChange<R> {
  if (state.kind === "deleted") return { kind: "none", reason: "account-deleted" };
  return { kind: "delete", revision: fact.revision, at: fact.at };
}

/** True when the fact is newer than what the state holds: the revision it carries has not been applied yet. */
export function isNewer<R extends AccountRecord>(state: UserState<R>, fact: { revision: number }): boolean {
  if (state.kind === "absent") return true;
  if (state.kind === "deleted") return false;
  return fact.revision > state.record.revision;
}
