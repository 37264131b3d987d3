import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import type { UserDeleted, UserEmailChanged, UserRegistered } from "@acme/gen/acme/auth/events/v1/events_pb";
import { eventRoute, type EventMeta, type EventRoute } from "../consumer/event-route.js";
import { deletedFact, emailChangedFact, registeredFact } from "./account-events.js";
import {
  applyAccountDeleted,
  applyAccountEmail,
  type AccountDeletedFact,
  type AccountEmailFact,
  type AccountRecord,
  type UserChange,
  type UserState,
} from "./account-facts.js";

/** What the handlers need from storage: drizzle-store.ts on the consumer's transaction, or memory-store.ts. */
export interface ProjectionStore<R> {
  load(userId: string): Promise<UserState<R>>;
  save(record: R): Promise<void>;
  /** Removes the record and leaves a tombstone; a tombstone already there is kept (the first deletion wins). */
  delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void>;
}

/** One event applied: the fact it carried, the state it met, and what was written. */
export type Applied<R> =
  | { type: "UserRegistered" | "UserEmailChanged"; fact: AccountEmailFact; before: UserState<R>; change: UserChange<R> }
  | { type: "UserDeleted"; fact: AccountDeletedFact; before: UserState<R>; change: UserChange<R> };

export interface AccountProjectionSpec<R extends AccountRecord, Tx> {
  /** A user's first record: the account columns, plus the service's own columns at their defaults. */
  newRecord(account: AccountRecord): R;
  /** The store on the consumer's transaction (drizzle-store.ts: `storeFor`). */
  storeFor(tx: Tx): ProjectionStore<R>;
  /**
   * What else the service records once an event has been applied, in the
   * same transaction (so exactly once per event): e.g. the mails a
   * notifications service must send. `applied.before` is the state the event
   * met; `isNewer(applied.before, applied.fact)` tells a newer revision from
   * a late one. Throwing rolls the batch back like any handler error.
   */
  afterApply?(applied: Applied<R>, tx: Tx, meta: EventMeta): Promise<void>;
}

async function persist<R>(store: ProjectionStore<R>, userId: string, change: UserChange<R>): Promise<UserChange<R>> {
  if (change.kind === "save") await store.save(change.record);
  else if (change.kind === "delete") await store.delete(userId, { revision: change.revision, at: change.at });
  return change;
}

/**
 * A per-user projection of auth's account events (UserRegistered,
 * UserEmailChanged, UserDeleted) into one record per user: field checks
 * (a bad event is dead-lettered), out-of-order handling by revision,
 * tombstones. The service brings its record's own columns and its store;
 * the consumer runner brings the inbox, the per-user lock and the batches.
 */
export function accountProjection<R extends AccountRecord, Tx>(spec: AccountProjectionSpec<R, Tx>) {
  const applyEmail = async (type: "UserRegistered" | "UserEmailChanged", fact: AccountEmailFact, store: ProjectionStore<R>, now: Date): Promise<Applied<R>> => {
    const before = await store.load(fact.userId);
    return { type, fact, before, change: await persist(store, fact.userId, applyAccountEmail(before, fact, now, spec.newRecord)) };
  };
  const applyDeleted = async (fact: AccountDeletedFact, store: ProjectionStore<R>): Promise<Applied<R>> => {
    const before = await store.load(fact.userId);
    return { type: "UserDeleted", fact, before, change: await persist(store, fact.userId, applyAccountDeleted(before, fact)) };
  };
  const handlers = {
    /** A new account: its record starts with the account email and the service's defaults. */
    userRegistered: (event: UserRegistered, store: ProjectionStore<R>, now = new Date()) =>
      applyEmail("UserRegistered", registeredFact(event, now), store, now),
    /** The account email changed: the account columns follow the higher revision. */
    userEmailChanged: (event: UserEmailChanged, store: ProjectionStore<R>, now = new Date()) =>
      applyEmail("UserEmailChanged", emailChangedFact(event, now), store, now),
    /** The account is gone: its record (all personal data) is removed, a tombstone stays. */
    userDeleted: (event: UserDeleted, store: ProjectionStore<R>, now = new Date()) => applyDeleted(deletedFact(event, now), store),
  };
  /** In the consumer's transaction: apply, then let the service record its side effects. */
  const route =
    <E>(apply: (event: E, store: ProjectionStore<R>) => Promise<Applied<R>>) =>
    async (event: E, tx: Tx, meta: EventMeta) => {
      const applied = await apply(event, spec.storeFor(tx));
      await spec.afterApply?.(applied, tx, meta);
    };
  return {
    onUserRegistered: async (event: UserRegistered, store: ProjectionStore<R>, now?: Date) => (await handlers.userRegistered(event, store, now)).change,
    onUserEmailChanged: async (event: UserEmailChanged, store: ProjectionStore<R>, now?: Date) => (await handlers.userEmailChanged(event, store, now)).change,
    onUserDeleted: async (event: UserDeleted, store: ProjectionStore<R>, now?: Date) => (await handlers.userDeleted(event, store, now)).change,
    handlers,
    /**
     * Which auth event goes to which handler, keyed by user id so one user's
     * events are applied one at a time (the runner's per-key lock).
     */
    eventRoutes(): EventRoute<Tx>[] {
      return [
        eventRoute(UserRegisteredSchema, { key: (e) => e.userId, handle: route(handlers.userRegistered) }),
        eventRoute(UserEmailChangedSchema, { key: (e) => e.userId, handle: route(handlers.userEmailChanged) }),
        eventRoute(UserDeletedSchema, { key: (e) => e.userId, handle: route(handlers.userDeleted) }),
      ];
    },
  };
}

export type AccountProjection<R extends AccountRecord, Tx> = ReturnType<typeof accountProjection<R, Tx>>;
