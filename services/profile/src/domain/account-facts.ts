import type { ProfileRecord, ProfileState } from "./profile.js";

/** What auth told us about an account, already checked (events/ does the decoding). */
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

export type ProfileChange =
  | { kind: "none"; reason: "account-deleted" | "stale" }
  | { kind: "save"; profile: ProfileRecord }
  | { kind: "delete"; revision: number; at: Date };

/**
 * Applies a registration or email change whatever order they arrive in: the
 * higher revision's email wins; the profile exists from the first of them
 * (an email change that overtook its registration creates it); created_at is
 * the earliest time seen, the registration's once it arrives. Nothing comes
 * back after a deletion.
 */
export function applyAccountEmail(state: ProfileState, fact: AccountEmailFact, now: Date): ProfileChange {
  if (state.kind === "deleted") return { kind: "none", reason: "account-deleted" };
  if (state.kind === "absent") {
    return {
      kind: "save",
      profile: { userId: fact.userId, accountEmail: fact.email, ownDisplayName: null, avatarUrl: "", revision: fact.revision, createdAt: fact.at, updatedAt: now },
    };
  }
  const current = state.profile;
  const createdAt = fact.registration && fact.at < current.createdAt ? fact.at : current.createdAt;
  if (fact.revision <= current.revision) {
    if (createdAt === current.createdAt) return { kind: "none", reason: "stale" };
    return { kind: "save", profile: { ...current, createdAt } };
  }
  return { kind: "save", profile: { ...current, accountEmail: fact.email, revision: fact.revision, createdAt, updatedAt: now } };
}

/** A deletion is final: the profile goes, a tombstone (no personal data) stays so late events cannot bring it back. */
export function applyAccountDeleted(state: ProfileState, fact: AccountDeletedFact): ProfileChange {
  if (state.kind === "deleted") return { kind: "none", reason: "account-deleted" };
  return { kind: "delete", revision: fact.revision, at: fact.at };
}
