import type { Sql } from "postgres";
import { DEFAULT_RELAY_LOCK_NAME } from "./outbox-relay.js";

export interface OutboxStatus {
  /** Rows written but not yet published. */
  unsent: number;
  /** Age of the oldest unsent row in milliseconds (0 when none). */
  oldestUnsentAgeMs: number;
  /** Published rows kept for republishing. */
  sentRetained: number;
  /** service.instance.id of the relay holding the lock; "" when none holds it (or it predates instance ids). */
  relayInstance: string;
}

/**
 * The outbox as an operator needs to see it, from the producer's own
 * database. Which instance relays: the session holding the relay's advisory
 * lock (pg_locks), whose application_name is `outbox-relay-lock:<instance id>`.
 * pg_try_advisory_lock(int8) with a hashtext() key shows as classid = high
 * 32 bits, objid = low 32 bits, objsubid = 1.
 */
export async function readOutboxStatus(sql: Sql, lockName = DEFAULT_RELAY_LOCK_NAME): Promise<OutboxStatus> {
  const [counts] = await sql<{ unsent: number; sent: number; oldest_ms: number | null }[]>`
    select count(*) filter (where published_at is null)::int as unsent,
           count(*) filter (where published_at is not null)::int as sent,
           (extract(epoch from now() - min(created_at) filter (where published_at is null)) * 1000)::float8 as oldest_ms
    from outbox`;
  const [holder] = await sql<{ application_name: string }[]>`
    select a.application_name
    from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
      and l.objsubid = 1
      and l.objid = ((hashtext(${lockName})::bigint & 4294967295)::bigint)::text::oid
      and l.classid = ((hashtext(${lockName})::bigint >> 32) & 4294967295)::text::oid
    limit 1`;
  const name = holder?.application_name ?? "";
  return {
    unsent: counts?.unsent ?? 0,
    oldestUnsentAgeMs: Math.max(0, Math.round(counts?.oldest_ms ?? 0)),
    sentRetained: counts?.sent ?? 0,
    relayInstance: name.startsWith("outbox-relay-lock:") ? name.slice("outbox-relay-lock:".length) : name ? "(unknown instance)" : "",
  };
}
