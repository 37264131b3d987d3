import type { JsMsg } from "@nats-io/jetstream";
import { sql } from "drizzle-orm";
import type { Logger } from "../logging.js";
import type { ConsumerDatabase } from "./apply-batch.js";
import type { StopSignal } from "./stop-signal.js";

export type HoldResult = "database-up" | "recovered" | "handed-back";

/**
 * Tells "this event fails" from "the database is away". In the second case
 * every event would fail, so counting deliveries would dead-letter healthy
 * events during an outage: instead the batch is held, its ack deadline kept
 * alive with `working()`, until the database answers again.
 */
export function createDatabaseGuard(db: ConsumerDatabase, ackWaitMs: number, stop: StopSignal, log: Logger) {
  const keepAliveMs = Math.max(250, Math.floor(ackWaitMs / 3));

  async function answers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        db.execute(sql`select 1`),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("timeout")), 2_000);
        }),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async function hold(msgs: JsMsg[]): Promise<HoldResult> {
    log.error(`database unavailable: holding ${msgs.length} events until it answers (not counted as failed deliveries)`);
    let waitMs = 250;
    while (!stop.stopped) {
      for (const msg of msgs) msg.working();
      await stop.sleep(Math.min(waitMs, keepAliveMs));
      waitMs = Math.min(waitMs * 2, 5_000);
      if (!stop.stopped && (await answers())) {
        log.info("database answers again; retrying the held events");
        return "recovered";
      }
    }
    for (const msg of msgs) msg.nak();
    return "handed-back";
  }

  return {
    /** How often held messages need a `working()` to keep their ack deadline. */
    keepAliveMs,
    async holdWhileDown(msgs: JsMsg[]): Promise<HoldResult> {
      if (await answers()) return "database-up";
      return hold(msgs);
    },
  };
}
