import type { Sql } from "postgres";

/**
 * The relay's leadership: a session advisory lock on a connection of its
 * own. Session locks are re-entrant, so asking again is how a leader checks
 * it still holds it (its connection may have been silently replaced).
 */
export class RelayLock {
  private checkedAt = 0;

  constructor(
    private readonly sql: Sql,
    private readonly name: string,
    /** How often a leader re-asserts the lock; it only changes hands when the lock's connection was lost, which takes that long to matter. */
    private readonly recheckMs = 1_000,
  ) {}

  /** True while this instance holds the lock (taking it if it is free). */
  async take(): Promise<boolean> {
    const [row] = await this.sql<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext(${this.name})) as locked`;
    const held = row?.locked === true;
    if (held) this.checkedAt = Date.now();
    return held;
  }

  /** Re-asserts the lock when the last check is older than `recheckMs`; false when another instance holds it now. */
  async stillHeld(): Promise<boolean> {
    if (Date.now() - this.checkedAt <= this.recheckMs) return true;
    return this.take();
  }

  async release(): Promise<void> {
    await this.sql`select pg_advisory_unlock_all()`;
  }
}
