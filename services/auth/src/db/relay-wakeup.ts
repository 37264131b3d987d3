import type { Sql } from "postgres";

/** The channel the outbox relay listens on (OUTBOX_CHANNEL in kit's outbox). */
const RELAY_CHANNEL = "outbox_inserted";

/**
 * Wakes the outbox relay after a commit that wrote outbox rows: call it once
 * the transaction has committed. It returns at once; the NOTIFY goes out on
 * its own statement.
 *
 * Why not an insert trigger inside the writing transaction (migration 0001,
 * dropped by 0004): PostgreSQL queues every transaction that NOTIFYs behind
 * one cluster-wide lock, held until that transaction's commit is flushed to
 * disk. Concurrent Registers then waited for each other's flush one by one
 * instead of sharing one (group commit). A NOTIFY on its own writes no WAL,
 * so it commits without a flush and holds that lock for microseconds.
 *
 * At most one NOTIFY is in flight: commits made while it runs ask for one
 * more, sent when it returns, so every commit is followed by a NOTIFY sent
 * after it, and a burst of commits costs two. The relay reads every unsent
 * row when it wakes. It is only a hint: if the NOTIFY fails, or auth stops
 * before sending it, the relay's poll finds the rows.
 */
export function relayWakeup(sql: Pick<Sql, "notify">, onError: (error: unknown) => void): () => void {
  let inFlight = false;
  let requested = false;
  const send = (): void => {
    inFlight = true;
    requested = false;
    sql
      .notify(RELAY_CHANNEL, "")
      .catch(onError)
      .finally(() => {
        inFlight = false;
        if (requested) send();
      });
  };
  return () => {
    if (inFlight) requested = true;
    else send();
  };
}
