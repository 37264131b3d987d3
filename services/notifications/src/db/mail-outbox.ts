import { and, desc, eq, sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import { coalesce } from "@acme/kit/db";
import { insertRowsSql } from "@acme/kit/db";
import { perTransaction } from "@acme/kit/projection";
import { mails, type MailRow } from "./mail-schema.js";

/** The service's database or one of its transactions (any schema that has `mails`). */
// biome-ignore lint/suspicious/noExplicitAny: any schema will do; Drizzle's database type is invariant in it
export type MailDb = PgDatabase<PostgresJsQueryResultHKT, any, any>;

/** The channel a commit that queued mail notifies; the sender listens (a hint: it also polls). */
export const MAILS_QUEUED_CHANNEL = "mails_queued";

export type NewMail = Pick<MailRow, "eventId" | "template" | "userId" | "toAddress" | "subject" | "textBody" | "htmlBody" | "messageId" | "traceparent"> & {
  eraseWhenDone?: boolean;
};

export interface MailKey {
  eventId: string;
  template: string;
}

const byKey = (key: MailKey) => and(eq(mails.eventId, key.eventId), eq(mails.template, key.template));

/** Columns that hold personal data are erased once an account is gone and its mail is done. */
const eraseIfAsked = {
  toAddress: sql`case when ${mails.eraseWhenDone} then null else ${mails.toAddress} end`,
  textBody: sql`case when ${mails.eraseWhenDone} then null else ${mails.textBody} end`,
  htmlBody: sql`case when ${mails.eraseWhenDone} then null else ${mails.htmlBody} end`,
};

const NEW_MAIL_KEYS = ["eventId", "template", "userId", "toAddress", "subject", "textBody", "htmlBody", "messageId", "traceparent", "eraseWhenDone"] as const;

/** In the consumer's transaction: the mails an event sends. A redelivered event finds its rows there and adds none. */
export async function recordMails(tx: MailDb, rows: NewMail[]): Promise<void> {
  if (rows.length === 0) return;
  // One statement however many mails (kit's db/unnest-rows.ts); the rest of the row takes its defaults.
  const full = rows.map((row) => ({ ...row, eraseWhenDone: row.eraseWhenDone ?? false }));
  await tx.execute(sql`${insertRowsSql(mails, [...NEW_MAIL_KEYS], full)} on conflict do nothing`);
  await tx.execute(sql`select pg_notify(${MAILS_QUEUED_CHANNEL}, '')`);
}

/**
 * For the consumer's transactions: the mails of one batch's events, recorded
 * together (one insert and one notify per round of handlers, not per event).
 */
export const mailRecorderFor = perTransaction((tx: MailDb) =>
  coalesce(async (perEvent: NewMail[][]) => {
    await recordMails(tx, perEvent.flat());
    return perEvent.map(() => undefined);
  }),
);

/**
 * The account is gone: mail already done loses its address and bodies now,
 * mail still queued (the goodbye) as soon as it is done. One statement, so a
 * sender marking one of these rows sent at the same moment cannot slip
 * between "erase the done ones" and "flag the queued ones": whichever of the
 * two writes comes second sees the other's row and erases.
 */
export async function eraseMailsOf(tx: MailDb, userId: string): Promise<void> {
  const keepWhileQueued = (column: typeof mails.toAddress | typeof mails.textBody | typeof mails.htmlBody) =>
    sql`case when ${mails.status} = 'queued' then ${column} else null end`;
  await tx
    .update(mails)
    .set({
      eraseWhenDone: true,
      toAddress: keepWhileQueued(mails.toAddress),
      textBody: keepWhileQueued(mails.textBody),
      htmlBody: keepWhileQueued(mails.htmlBody),
    })
    .where(eq(mails.userId, userId));
}

/** The keys of `keys` as two arrays joined through `unnest` (the statement's text is the same for any count). */
const keysTable = (keys: MailKey[], alias: string) =>
  sql`unnest(${sql.param(keys.map((key) => key.eventId))}::text[], ${sql.param(keys.map((key) => key.template))}::text[]) as ${sql.raw(alias)}(event_id, template)`;

/** Marks the mails of `keys` sent (erasing the ones whose account is gone); a key no row has changes nothing. */
const markSentSql = (keys: MailKey[]) => sql`
  update ${mails} set status = 'sent', sent_at = now(), lease_until = null, last_error = null,
    to_address = ${eraseIfAsked.toAddress}, text_body = ${eraseIfAsked.textBody}, html_body = ${eraseIfAsked.htmlBody}
  from ${keysTable(keys, "accepted")}
  where ${mails}.event_id = accepted.event_id and ${mails}.template = accepted.template`;

/**
 * Takes up to `limit` due mails for this sender: each is leased for
 * `leaseMs` (another sender skips it; a crashed sender's lease runs out and
 * the mail is sent again, with the same Message-ID).
 *
 * `sent`: mails the server accepted, marked sent by the same statement (as
 * `markSent` would: one commit for the claim and the marks, not two). None
 * of them is claimed by it, even one whose lease has run out. If the
 * statement fails, neither the claim nor the marks happened. (Two senders'
 * statements can wait on each other only if each marks a mail the other has
 * just claimed after its lease ran out; PostgreSQL then fails one of them,
 * whose mails are sent again, at least once as always.)
 */
export async function claimDueMails(db: MailDb, limit: number, leaseMs: number, sent: MailKey[] = []): Promise<MailRow[]> {
  const rows = await db.execute<Record<string, unknown>>(sql`
    with marked as (${markSentSql(sent)})
    update ${mails} set lease_until = now() + ${leaseMs} * interval '1 millisecond', attempts = attempts + 1
    where (event_id, template) in (
      select event_id, template from ${mails}
      where status = 'queued' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
        and (event_id, template) not in (select event_id, template from ${keysTable(sent, "carried")})
      order by next_attempt_at
      limit ${limit}
      for update skip locked)
    returning event_id, template, user_id, to_address, subject, text_body, html_body, message_id, traceparent, attempts, created_at`);
  return rows.map((r) => ({
    eventId: r.event_id as string,
    template: r.template as string,
    userId: r.user_id as string,
    toAddress: r.to_address as string | null,
    subject: r.subject as string,
    textBody: r.text_body as string | null,
    htmlBody: r.html_body as string | null,
    messageId: r.message_id as string,
    traceparent: r.traceparent as string | null,
    attempts: Number(r.attempts),
    createdAt: new Date(r.created_at as string),
  })) as MailRow[];
}

/**
 * The mails the server accepted, marked sent in one statement however many
 * (a round of finished sends): the keys go in as two arrays, joined to the
 * table through `unnest`, so the statement's text is the same for any count.
 * (A claim can carry them instead: `claimDueMails`' `sent`.)
 */
export async function markSent(db: MailDb, keys: MailKey[]): Promise<void> {
  if (keys.length === 0) return;
  await db.execute(markSentSql(keys));
}

/** A transient failure: try again after `delayMs`. */
export async function markRetry(db: MailDb, key: MailKey, error: string, delayMs: number): Promise<void> {
  await db
    .update(mails)
    .set({ leaseUntil: null, lastError: error, nextAttemptAt: sql`now() + ${delayMs} * interval '1 millisecond'` })
    .where(and(byKey(key), eq(mails.status, "queued")));
}

/** A permanent failure (the server refused with a 5xx): never retried. */
export async function markFailed(db: MailDb, key: MailKey, error: string): Promise<void> {
  await db
    .update(mails)
    .set({ status: "failed", leaseUntil: null, lastError: error, ...eraseIfAsked })
    .where(and(byKey(key), eq(mails.status, "queued")));
}

/** What was sent to a user, newest first. */
export async function mailsOf(
  db: MailDb,
  userId: string,
  limit: number,
): Promise<Pick<MailRow, "messageId" | "template" | "subject" | "status" | "createdAt" | "sentAt" | "lastError" | "toAddress">[]> {
  return db
    .select({
      messageId: mails.messageId,
      template: mails.template,
      subject: mails.subject,
      status: mails.status,
      createdAt: mails.createdAt,
      sentAt: mails.sentAt,
      lastError: mails.lastError,
      toAddress: mails.toAddress,
    })
    .from(mails)
    .where(eq(mails.userId, userId))
    .orderBy(desc(mails.createdAt), mails.template)
    .limit(limit);
}

export interface MailQueueStatus {
  queued: number;
  failed: number;
  /** Age of the oldest queued mail in ms (0 when none). */
  oldestQueuedAgeMs: number;
}

export async function mailQueueStatus(db: MailDb): Promise<MailQueueStatus> {
  const [row] = await db.execute<{ queued: string; failed: string; oldest_ms: string | null }>(sql`
    select count(*) filter (where status = 'queued') as queued,
           count(*) filter (where status = 'failed') as failed,
           extract(epoch from (now() - min(created_at) filter (where status = 'queued'))) * 1000 as oldest_ms
    from ${mails}`);
  return { queued: Number(row?.queued ?? 0), failed: Number(row?.failed ?? 0), oldestQueuedAgeMs: Math.max(0, Math.round(Number(row?.oldest_ms ?? 0))) };
}
