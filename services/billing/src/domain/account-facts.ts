import type { BillingContactRecord, ContactState } from "./billing-contact.js";

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

export type ContactChange =
  | { kind: "none"; reason: "account-deleted" | "stale" }
  | { kind: "save"; contact: BillingContactRecord }
  | { kind: "delete"; revision: number; at: Date };

/**
 * Applies a registration or email change whatever order they arrive in: the
 * higher revision's account email wins, the contact exists from the first of
 * them. The user's own billing email is never touched: it keeps receiving
 * invoices, and the account email waits behind it in case they remove it.
 */
export function applyAccountEmail(state: ContactState, fact: AccountEmailFact, now: Date): ContactChange {
  if (state.kind === "deleted") return { kind: "none", reason: "account-deleted" };
  if (state.kind === "absent") {
    return {
      kind: "save",
      contact: { userId: fact.userId, accountEmail: fact.email, ownBillingEmail: null, address: null, revision: fact.revision, createdAt: fact.at, updatedAt: now },
    };
  }
  const current = state.contact;
  const createdAt = fact.registration && fact.at < current.createdAt ? fact.at : current.createdAt;
  if (fact.revision <= current.revision) {
    if (createdAt === current.createdAt) return { kind: "none", reason: "stale" };
    return { kind: "save", contact: { ...current, createdAt } };
  }
  return { kind: "save", contact: { ...current, accountEmail: fact.email, revision: fact.revision, createdAt, updatedAt: now } };
}

/** A deletion is final: the contact goes, a tombstone (no personal data) stays so late events cannot bring it back. */
export function applyAccountDeleted(state: ContactState, fact: AccountDeletedFact): ContactChange {
  if (state.kind === "deleted") return { kind: "none", reason: "account-deleted" };
  return { kind: "delete", revision: fact.revision, at: fact.at };
}
