import type { Sql } from "postgres";

/**
 * The relay's leadership: a session advisory lock on a connection of its
 * own. Session locks are re-entrant, so asking again is how a leader checks
 * it still holds it (its connection may have been silently replaced).
 *
 * The connection is dropped after any failure and a new one opened for the
 * next attempt: postgres.js 3.4.9 never settles a query issued on a
 * connection between its socket error and its close (porsager/postgres#1130),
 * which is exactly when the relay, stepping down, releases and retakes the
 * lock. Reusing that client left the relay waiting forever, and the
 * service's stop() with it. A query that gets no answer within `answerWithinMs`
 * counts as such a failure too.
 */
export class RelayLock {
  private checkedAt = 0;
  private sql: Sql | undefined;
  private closed = false;

  constructor(
    /** Opens the lock's connection (a client of its own, max 1). */
    private readonly connect: () => Sql,
    private readonly name: string,
    /** How often a leader re-asserts the lock; it only changes hands when the lock's connection was lost, which takes that long to matter. */
    private readonly recheckMs = 1_000,
    private readonly answerWithinMs = 10_000,
  ) {}

  /** True while this instance holds the lock (taking it if it is free). */
  async take(): Promise<boolean> {
    const [row] = await this.query((sql) => sql<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext(${this.name})) as locked`);
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
    await this.query((sql) => sql`select pg_advisory_unlock_all()`);
  }

  /** Closes the connection for good (the server frees a lock it held with the session); later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  private async query<T>(run: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error("relay lock: closed");
    this.sql ??= this.connect();
    const sql = this.sql;
    let timer: NodeJS.Timeout | undefined;
    const unanswered = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`relay lock: no answer from the database within ${this.answerWithinMs} ms`)), this.answerWithinMs);
    });
    try {
      return await Promise.race([run(sql), unanswered]);
    } catch (error) {
      if (this.sql === sql) await this.drop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the current connection at once; ending also rejects a query it left unsettled. */
  private async drop(): Promise<void> {
    const sql = this.sql;
    this.sql = undefined;
    this.checkedAt = 0;
    await sql?.end({ timeout: 0 });
  }
}
