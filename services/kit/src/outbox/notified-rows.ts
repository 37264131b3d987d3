import type { OutboxRow } from "./outbox-rows.js";

/**
 * The rows that commits announced in their NOTIFY payloads, in the order
 * they committed, and whether the relay may publish them without a claim.
 *
 * The payloads may be trusted only while they are the whole story: since the
 * last claim that took every unsent row and published them all, every commit
 * must have arrived here with its rows. A claim's snapshot S sees every row
 * committed before it; a row committed after S notifies after S, which is
 * after `claimStarting()` cleared the queue, so it lands here, behind the
 * rows committed before it (PostgreSQL delivers notifications in commit
 * order). A row committed before S may still notify after the clear; the
 * ids that claim published are dropped from what is held and from later
 * payloads (were one published twice anyway, it carries the same
 * Nats-Msg-Id, and JetStream drops the second).
 *
 * Anything that may have broken the story sends the relay back to claiming:
 * a payload too large to carry its rows (''), a LISTEN that (re)connected
 * (notifications sent while it was down are gone), a claim that did not
 * take everything, a failed publish, a change of leader, too many rows held.
 */
export class NotifiedRows {
  private rows: OutboxRow[] = [];
  private complete = false;
  private epoch = 0;
  /** The last complete claim's ids: their NOTIFY may arrive after the claim published them. */
  private claimed = new Set<string>();

  constructor(private readonly maxHeld: number) {}

  /** A NOTIFY arrived with this payload. */
  add(payload: string): void {
    const rows = parseNotifiedRows(payload);
    if (!rows || this.rows.length + rows.length > this.maxHeld) {
      this.invalidate();
      return;
    }
    for (const row of rows) if (!this.claimed.has(row.id)) this.rows.push(row);
  }

  /** Forget what is held; the next round must claim. */
  invalidate(): void {
    this.rows = [];
    this.complete = false;
    this.epoch += 1;
  }

  /** Up to `max` rows to publish without a claim, in commit order (none: nothing is unsent); undefined when the relay must claim. */
  take(max: number): OutboxRow[] | undefined {
    if (!this.complete) return undefined;
    return this.rows.splice(0, max);
  }

  /** Call right before sending a claim query; pass its result to `claimTookEverything`. */
  claimStarting(): number {
    this.rows = [];
    this.complete = false;
    this.claimed.clear();
    return this.epoch;
  }

  /** The claim started at `epoch` took and published every unsent row (`claimedIds`): what has been held since is the whole story. */
  claimTookEverything(epoch: number, claimedIds: readonly string[]): void {
    if (epoch !== this.epoch) return;
    this.complete = true;
    this.claimed = new Set(claimedIds);
    this.rows = this.rows.filter((row) => !this.claimed.has(row.id));
  }
}

interface NotifiedRowJson {
  id: string;
  event_id: string;
  subject: string;
  partition_key: string;
  /** base64 */
  payload: string;
  headers: Record<string, string>;
}

/** The rows of an `outbox_inserted` payload, or undefined when it carries none ('' or not ours). */
export function parseNotifiedRows(payload: string): OutboxRow[] | undefined {
  if (payload === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every(isNotifiedRow)) return undefined;
  return parsed.map((row) => ({ ...row, payload: Buffer.from(row.payload, "base64") }));
}

function isNotifiedRow(value: unknown): value is NotifiedRowJson {
  const row = value as Partial<NotifiedRowJson> | null;
  return (
    typeof row === "object" &&
    row !== null &&
    typeof row.id === "string" &&
    typeof row.event_id === "string" &&
    typeof row.subject === "string" &&
    typeof row.partition_key === "string" &&
    typeof row.payload === "string" &&
    typeof row.headers === "object" &&
    row.headers !== null
  );
}
