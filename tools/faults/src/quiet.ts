import { CONSUMERS } from "./invariant.js";
import { STREAM, type FaultSystem } from "./system.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether both consumers' inboxes hold every event of auth's outbox with `floor < id <= upTo`. */
async function consumersHold(system: FaultSystem, floor: number, upTo: number): Promise<boolean> {
  const ids = (await system.sql("auth")<{ event_id: string }[]>`select event_id::text from outbox where id > ${floor} and id <= ${upTo}`).map(
    (r) => r.event_id,
  );
  for (const c of CONSUMERS) {
    const [row] = await system.sql(c)<{ n: number }[]>`select count(*)::int as n from processed_events where event_id = any(${ids})`;
    if (row?.n !== ids.length) return false;
  }
  return true;
}

async function maxOutboxId(system: FaultSystem): Promise<number> {
  const [row] = await system.sql("auth")<{ id: number }[]>`select coalesce(max(id), 0)::int as id from outbox`;
  return row?.id ?? 0;
}

/** The last outbox id now, retried while auth's database is still coming back. */
export async function outboxMark(system: FaultSystem, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await maxOutboxId(system);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

/**
 * Time from `since` until every event written up to `mark` is in both
 * consumers' inboxes: how long the system took to catch up after the fault
 * healed (the load keeps running meanwhile).
 */
export async function recoveryTime(system: FaultSystem, floor: number, mark: number, since: number, timeoutMs = 90_000): Promise<number | undefined> {
  while (Date.now() - since < timeoutMs) {
    if (await consumersHold(system, floor, mark).catch(() => false)) return Date.now() - since;
    await sleep(100);
  }
  return undefined;
}

/**
 * Quiet: the outbox is drained, no durable consumer has messages pending or
 * awaiting an ack, every event of the scenario is in every inbox, and
 * notifications has no mail left to send. Returns false if that does not happen within `timeoutMs`.
 */
export async function waitForQuiet(system: FaultSystem, floor: number, timeoutMs = 90_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const [unsent] = await system.sql("auth")<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`;
      let idle = unsent?.n === 0;
      const jsm = await system.jsm();
      for (const durable of CONSUMERS) {
        if (!idle) break;
        const info = await jsm.consumers.info(STREAM, durable);
        idle = info.num_pending === 0 && info.num_ack_pending === 0;
      }
      if (idle && (await consumersHold(system, floor, await maxOutboxId(system))) && (await queuedMails(system)) === 0) return true;
    } catch {
      // a server still coming back
    }
    await sleep(200);
  }
  return false;
}

/** Mails notifications has yet to hand to the sink. */
async function queuedMails(system: FaultSystem): Promise<number> {
  const [row] = await system.sql("notifications")<{ n: number }[]>`select count(*)::int as n from mails where status = 'queued'`;
  return row?.n ?? 0;
}

/** What is still busy, for a "not quiet" report. */
export async function busyReport(system: FaultSystem): Promise<string> {
  const parts: string[] = [];
  try {
    const [unsent] = await system.sql("auth")<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`;
    parts.push(`outbox unsent ${unsent?.n}`);
  } catch (error) {
    parts.push(`auth's database: ${(error as Error).message}`);
  }
  try {
    const sessions = await system.sql("auth")<{ application_name: string; state: string; wait_event: string | null; query: string }[]>`
      select application_name, state, wait_event, left(query, 80) as query from pg_stat_activity where datname = 'auth' and pid <> pg_backend_pid()`;
    parts.push(`auth's sessions: ${sessions.map((s) => `${s.application_name}/${s.state}/${s.wait_event ?? "-"}: ${s.query}`).join(" | ")}`);
  } catch {
    // reported above
  }
  try {
    const jsm = await system.jsm();
    for (const durable of CONSUMERS) {
      const info = await jsm.consumers.info(STREAM, durable);
      parts.push(`${durable}: pending ${info.num_pending}, awaiting ack ${info.num_ack_pending}, redelivered ${info.num_redelivered}`);
    }
  } catch (error) {
    parts.push(`nats: ${(error as Error).message}`);
  }
  try {
    parts.push(`mails queued ${await queuedMails(system)}`);
  } catch (error) {
    parts.push(`notifications' database: ${(error as Error).message}`);
  }
  return parts.join(", ");
}
