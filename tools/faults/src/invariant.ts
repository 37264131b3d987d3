import { fromBinary } from "@bufbuild/protobuf";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import type { Ledger, WriteRecord } from "./load.js";
import { eventOfMessageId } from "./mail-invariant.js";
import type { FaultSystem } from "./system.js";

export const CONSUMERS = ["profile", "billing", "notifications"] as const;
export type Consumer = (typeof CONSUMERS)[number];
/** Each consumer's projection of the account (kit's shared mechanism: user_id, account_email, revision). */
const PROJECTION: Record<Consumer, string> = { profile: "profiles", billing: "billing_contacts", notifications: "account_emails" };

/** One row of auth's outbox, decoded: what auth committed. */
interface AuthEvent {
  eventId: string;
  userId: string;
  kind: WriteRecord["kind"];
  email?: string;
  revision: number;
  published: boolean;
}

interface ConsumerView {
  rows: Map<string, { email: string; revision: number }>;
  tombstones: Map<string, number>;
  processed: Set<string>;
}

export type { AuthEvent };

export interface Verdict {
  okWrites: number;
  unknownWrites: number;
  refusedWrites: number;
  /** OK writes whose event each consumer applied (in its inbox, and its final state agrees with auth's). */
  applied: Record<Consumer, number>;
  /** OK writes missing from a consumer, counted per consumer (or missing from auth's outbox itself: counted for both). */
  lost: number;
  /** Events applied more than once (an "event applied" line with outcome applied, beyond the first), per consumer. */
  duplicated: number;
  /** Effects nobody asked for: events or rows with no OK or unknown-outcome write behind them, or that disagree with auth. */
  unexpected: number;
  /** Events this scenario wrote to auth's outbox. */
  events: number;
  problems: string[];
}

const KIND_BY_SUBJECT: Array<[RegExp, WriteRecord["kind"]]> = [
  [/\.user_registered\.v1$/, "register"],
  [/\.user_email_changed\.v1$/, "change-email"],
  [/\.user_deleted\.v1$/, "delete"],
];

function decode(subject: string, payload: Uint8Array): Omit<AuthEvent, "eventId" | "published"> {
  const kind = KIND_BY_SUBJECT.find(([pattern]) => pattern.test(subject))?.[1];
  if (kind === "register") {
    const e = fromBinary(UserRegisteredSchema, payload);
    return { kind, userId: e.userId, email: e.email, revision: Number(e.revision) };
  }
  if (kind === "change-email") {
    const e = fromBinary(UserEmailChangedSchema, payload);
    return { kind, userId: e.userId, email: e.email, revision: Number(e.revision) };
  }
  if (kind === "delete") {
    const e = fromBinary(UserDeletedSchema, payload);
    return { kind, userId: e.userId, revision: Number(e.revision) };
  }
  throw new Error(`unknown subject ${subject}`);
}

/** Auth's outbox rows after `floor` (this scenario's), decoded. */
export async function authEventsSince(system: FaultSystem, floor: number): Promise<AuthEvent[]> {
  const rows = await system.sql("auth")<{ event_id: string; subject: string; payload: Buffer; published_at: Date | null }[]>`
    select event_id::text, subject, payload, published_at from outbox where id > ${floor} order by id`;
  return rows.map((r) => ({ eventId: r.event_id, published: r.published_at !== null, ...decode(r.subject, new Uint8Array(r.payload)) }));
}

async function consumerView(system: FaultSystem, consumer: Consumer, userIds: string[], eventIds: string[]): Promise<ConsumerView> {
  const sql = system.sql(consumer);
  const table = sql(PROJECTION[consumer]);
  const rows = await sql<{ user_id: string; account_email: string; revision: number }[]>`
    select user_id, account_email, revision::int from ${table} where user_id = any(${userIds})`;
  const tombstones = await sql<{ user_id: string; revision: number }[]>`select user_id, revision::int from user_tombstones where user_id = any(${userIds})`;
  const processed = await sql<{ event_id: string }[]>`select event_id from processed_events where event_id = any(${eventIds})`;
  return {
    rows: new Map(rows.map((r) => [r.user_id, { email: r.account_email, revision: r.revision }])),
    tombstones: new Map(tombstones.map((t) => [t.user_id, t.revision])),
    processed: new Set(processed.map((p) => p.event_id)),
  };
}

/**
 * The invariant, for the writes of one scenario: every write that returned
 * OK is applied in every consumer exactly once in effect. Auth's outbox is
 * the record of what auth committed (a write with an unknown outcome may or
 * may not be there); each consumer must hold every one of a user's event ids
 * in its inbox and end in the state auth's last event describes: the last
 * email and revision, or a tombstone.
 */
export async function checkInvariant(system: FaultSystem, ledger: Ledger, floor: number): Promise<Verdict> {
  const events = await authEventsSince(system, floor);
  const byUser = new Map<string, AuthEvent[]>();
  const registeredAs = new Map<string, string>();
  for (const e of events) {
    byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
    if (e.kind === "register" && e.email) registeredAs.set(e.email, e.userId);
  }
  const userIds = [...byUser.keys()];
  const eventIds = events.map((e) => e.eventId);
  const views = Object.fromEntries(await Promise.all(CONSUMERS.map(async (c) => [c, await consumerView(system, c, userIds, eventIds)] as const))) as Record<
    Consumer,
    ConsumerView
  >;
  const credentials = await system.sql("auth")<{ user_id: string; contact_email: string; revision: number }[]>`
    select user_id::text, contact_email, revision::int from credentials where user_id = any(${userIds}::uuid[])`;
  const authRows = new Map(credentials.map((c) => [c.user_id, c]));

  const verdict: Verdict = {
    okWrites: ledger.count("ok"),
    unknownWrites: ledger.count("unknown"),
    refusedWrites: ledger.count("refused"),
    applied: { profile: 0, billing: 0, notifications: 0 },
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    events: events.length,
    problems: [],
  };
  const problem = (text: string) => verdict.problems.length < 20 && verdict.problems.push(text);
  const explained = new Set<string>();

  for (const user of ledger.users) {
    const userId = user.userId ?? registeredAs.get(user.registeredEmail);
    const own = userId ? (byUser.get(userId) ?? []) : [];
    const matched = new Map<WriteRecord, AuthEvent>();
    for (const e of own) {
      const write = user.writes.find((w) => !matched.has(w) && w.outcome !== "refused" && w.kind === e.kind && (e.kind === "delete" || w.email === e.email));
      if (!write) {
        verdict.unexpected += 1;
        problem(`${e.kind} event ${e.eventId} of ${user.registeredEmail}: no OK or unknown-outcome write asked for it`);
        continue;
      }
      matched.set(write, e);
    }
    if (userId && own.length) explained.add(userId);
    const okWrites = user.writes.filter((w) => w.outcome === "ok");
    for (const w of okWrites) {
      if (matched.has(w)) continue;
      verdict.lost += CONSUMERS.length;
      problem(`${w.kind} of ${user.registeredEmail} returned OK but auth's outbox has no event for it`);
    }
    if (!userId || own.length === 0) continue;

    const last = [...own].sort((a, b) => a.revision - b.revision).at(-1)!;
    const authRow = authRows.get(userId);
    const authAgrees = last.kind === "delete" ? !authRow : authRow?.contact_email === last.email && authRow?.revision === last.revision;
    if (!authAgrees) {
      verdict.unexpected += 1;
      problem(`auth's credentials for ${userId} disagree with its last event (${last.kind} r${last.revision})`);
    }
    for (const c of CONSUMERS) {
      const view = views[c];
      const row = view.rows.get(userId);
      const stateOk = last.kind === "delete" ? !row && view.tombstones.get(userId) !== undefined : row?.email === last.email && row?.revision === last.revision;
      const missing = own.filter((e) => !view.processed.has(e.eventId));
      for (const w of okWrites) {
        const e = matched.get(w);
        if (!e) continue;
        const isLast = e === last;
        if (view.processed.has(e.eventId) && (!isLast || stateOk)) verdict.applied[c] += 1;
        else {
          verdict.lost += 1;
          problem(
            `${c}: ${w.kind} of ${user.registeredEmail} (event ${e.eventId}) ${view.processed.has(e.eventId) ? "is in the inbox but the state is wrong" : "was never applied"}`,
          );
        }
      }
      if (!stateOk && missing.length === 0 && !okWrites.some((w) => matched.get(w) === last)) {
        // The last event came from an unknown-outcome write: still, the consumer must agree with auth.
        verdict.lost += 1;
        problem(`${c}: state of ${userId} does not match auth's last event (${last.kind} r${last.revision})`);
      }
      for (const e of own) {
        const times = system.appliedLog[c].get(e.eventId) ?? 0;
        if (times > 1) {
          verdict.duplicated += times - 1;
          problem(`${c}: event ${e.eventId} applied ${times} times`);
        }
      }
    }
  }

  // Events of users the ledger does not know at all.
  for (const [userId, own] of byUser) {
    if (explained.has(userId)) continue;
    verdict.unexpected += own.length;
    problem(`events of user ${userId}, whom no write of this scenario registered`);
  }
  return verdict;
}

/**
 * Across the whole run: inbox entries and rows in a consumer that auth's
 * outbox does not explain (an event nobody published, a row for a user auth
 * never had). Cumulative; the runner reports what each scenario added.
 */
export async function consumerOrphans(system: FaultSystem): Promise<{ count: number; examples: string[] }> {
  const sql = system.sql("auth");
  const eventIds = new Set((await sql<{ event_id: string }[]>`select event_id::text from outbox`).map((r) => r.event_id));
  const userIds = new Set((await sql<{ partition_key: string }[]>`select distinct partition_key from outbox`).map((r) => r.partition_key));
  const examples: string[] = [];
  for (const c of CONSUMERS) {
    const csql = system.sql(c);
    const table = csql(PROJECTION[c]);
    const processed = await csql<{ event_id: string }[]>`select event_id from processed_events`;
    const users = await csql<{ user_id: string }[]>`select user_id from ${table} union select user_id from user_tombstones`;
    for (const p of processed) if (!eventIds.has(p.event_id)) examples.push(`${c}: inbox holds ${p.event_id}, not in auth's outbox`);
    for (const u of users) if (!userIds.has(u.user_id)) examples.push(`${c}: a row for ${u.user_id}, unknown to auth`);
  }
  for (const id of new Set(await system.sunkMessageIds())) {
    const event = eventOfMessageId(id);
    if (!event || !eventIds.has(event.eventId)) examples.push(`mail sink: ${id}, no event of auth's outbox behind it`);
  }
  return { count: examples.length, examples: examples.slice(0, 10) };
}
