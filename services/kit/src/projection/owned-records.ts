import type { UserState } from "./account-facts.js";

export type OwnedRecordErrorCode = "NOT_OWNER" | "NOT_FOUND" | "ACCOUNT_DELETED";

/** A caller asked for a record that is not theirs, not built yet, or gone; rpc-errors.ts maps it to a Connect code. */
export class OwnedRecordError extends Error {
  override readonly name = "OwnedRecordError";
  constructor(
    readonly code: OwnedRecordErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** How the service calls its record in messages: e.g. "billing contact", and "contacts" for the many. */
export interface RecordNouns {
  one: string;
  many: string;
}

/** Who asks about whom: an empty user id means the caller. */
export interface OwnerInput {
  callerId: string;
  userId: string;
}

/** What an owner-only update needs from storage: a load, and a write of the owner's fields that answers undefined when there is no record. */
export interface OwnFieldsStore<R, F> {
  load(userId: string): Promise<UserState<R>>;
  updateOwnFields(userId: string, fields: F, now: Date): Promise<R | undefined>;
}

/**
 * The access rules of a per-user projection answered over RPC: a user reads
 * and changes only their own record (an empty user id means the caller); a
 * record not built yet is "not found, may still be on its way"; a deleted
 * account's record is gone for good.
 */
export function ownedRecords<R>(nouns: RecordNouns) {
  const notYetThere = (userId: string) =>
    new OwnedRecordError(
      "NOT_FOUND",
      `no ${nouns.one} for user ${userId} yet: ${nouns.many} are built from auth's UserRegistered event, which may still be on its way; try again in a moment`,
    );
  const accountDeleted = () => new OwnedRecordError("ACCOUNT_DELETED", `this account has been deleted; its ${nouns.one} is gone`);
  const missing = (state: UserState<R>, userId: string) => (state.kind === "deleted" ? accountDeleted() : notYetThere(userId));
  const present = (state: UserState<R>, userId: string): R => {
    if (state.kind !== "present") throw missing(state, userId);
    return state.record;
  };
  /** The user id the request is about, once the caller is known to own it. */
  const ownerOf = (input: OwnerInput): string => {
    const userId = input.userId || input.callerId;
    if (input.callerId !== userId) throw new OwnedRecordError("NOT_OWNER", `you may read and change only your own ${nouns.one}`);
    return userId;
  };
  return {
    ownerOf,
    present,
    /** The caller's own record. */
    async read(store: Pick<OwnFieldsStore<R, never>, "load">, input: OwnerInput): Promise<R> {
      const userId = ownerOf(input);
      return present(await store.load(userId), userId);
    },
    /**
     * The owner's fields written (`fields` checks the request once the
     * caller is known to be the owner), or the record as it is when the
     * request sets none.
     */
    async update<F extends object>(store: OwnFieldsStore<R, F>, input: OwnerInput, fields: () => F, now: Date): Promise<R> {
      const userId = ownerOf(input);
      const checked = fields();
      if (Object.keys(checked).length === 0) return present(await store.load(userId), userId);
      const updated = await store.updateOwnFields(userId, checked, now);
      if (updated) return updated;
      const state = await store.load(userId);
      throw missing(state.kind === "present" ? { kind: "absent" } : state, userId);
    },
  };
}
