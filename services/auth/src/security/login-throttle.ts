import { createHash } from "node:crypto";
import type { Sql, TransactionSql } from "postgres";
import type { AttemptBudget, ReservedAttempt } from "../app/ports.js";
import { AuthError } from "../domain/errors.js";

export interface ThrottleLimits {
  /** Password checks per account (failed or in flight) before it waits for the window to end. */
  accountAttempts: number;
  /** Short on purpose (NIST 800-63B): a stranger can delay the owner, never lock them out for long. */
  accountWindowMs: number;
  /**
   * Progressive delay: the first FREE_FAILURES failures (typos) cost
   * nothing; after the n-th failure beyond them the account waits
   * base * 2^(n-1), so guessing slows down before the window is used up.
   */
  delayBaseMs: number;
  /** Failed password checks per client address (its /64 for IPv6) per window. */
  clientAttempts: number;
  clientWindowMs: number;
  /** Registrations per client address per window. */
  registerAttempts: number;
  registerWindowMs: number;
  /** A reservation whose instance died mid-check frees the account after this. */
  leaseMs: number;
}

/** Failures per account that cost no delay (typos); later ones double it each time. */
export const FREE_FAILURES = 2;

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = {
  accountAttempts: 5,
  accountWindowMs: 15 * 60_000,
  delayBaseMs: 1_000,
  clientAttempts: 20,
  clientWindowMs: 60_000,
  registerAttempts: 30,
  registerWindowMs: 60_000,
  leaseMs: 30_000,
};

/**
 * Login throttling in auth's own PostgreSQL (table login_attempts), so every
 * instance spends one budget. Each check is reserved by one atomic upsert
 * BEFORE argon2 runs: it counts as spent until it is reported successful,
 * and it holds the account (checking_until) so at most one verification per
 * account is in flight. A refusal never depends on whether the account
 * exists: the key is the email typed. Keys are stored hashed, so the table
 * holds no email or address, and rows are deleted once their window is over.
 */
export class LoginThrottle implements AttemptBudget {
  constructor(
    private readonly sql: Sql,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
  ) {}

  async reservePasswordCheck(account: string, client?: string): Promise<ReservedAttempt> {
    const accountKey = key("account", account);
    const clientKey = client === undefined ? undefined : key("login-client", client);
    const granted = await this.sql
      .begin(async (tx) => {
        const [held] = await tx<{ attempts: number }[]>`
        insert into login_attempts as a (key, attempts, window_ends_at, checking_until)
        values (${accountKey}, 1, now() + ${ms(this.limits.accountWindowMs)}::interval, now() + ${ms(this.limits.leaseMs)}::interval)
        on conflict (key) do update set
          attempts = case when a.window_ends_at <= now() then 1 else a.attempts + 1 end,
          window_ends_at = case when a.window_ends_at <= now() then excluded.window_ends_at else a.window_ends_at end,
          next_attempt_at = case when a.window_ends_at <= now() then null else a.next_attempt_at end,
          checking_until = excluded.checking_until
        where a.window_ends_at <= now()
           or ((a.checking_until is null or a.checking_until <= now())
               and (a.next_attempt_at is null or a.next_attempt_at <= now())
               and a.attempts < ${this.limits.accountAttempts})
        returning attempts`;
        if (!held) return false;
        if (clientKey && !(await spend(tx, clientKey, this.limits.clientAttempts, this.limits.clientWindowMs))) {
          throw new Refused(); // rolls the account's reservation back
        }
        return true;
      })
      .catch((error: unknown) => {
        if (error instanceof Refused) return false;
        throw error;
      });
    if (!granted) {
      const blocking = [{ key: accountKey, limit: this.limits.accountAttempts }, ...(clientKey ? [{ key: clientKey, limit: this.limits.clientAttempts }] : [])];
      throw await this.refusal(blocking, "too many failed sign-in attempts");
    }

    let reported = false;
    const once = (work: () => Promise<unknown>) => async () => {
      if (reported) return;
      reported = true;
      await work();
    };
    return {
      succeeded: once(() =>
        this.sql.begin(async (tx) => {
          await tx`delete from login_attempts where key = ${accountKey}`;
          if (clientKey) await tx`update login_attempts set attempts = greatest(attempts - 1, 0) where key = ${clientKey}`;
        }),
      ),
      failed: once(
        () => this.sql`
          update login_attempts set checking_until = null,
            next_attempt_at = case when attempts <= ${FREE_FAILURES} then null
              else now() + least(${this.limits.delayBaseMs}::float8 * power(2, attempts - ${FREE_FAILURES} - 1), ${this.limits.accountWindowMs}::float8) * interval '1 millisecond' end
          where key = ${accountKey}`,
      ),
    };
  }

  /**
   * The count commits without waiting for its WAL flush (synchronous_commit
   * off for this one statement). Every registration from one address updates
   * the same row and holds its lock until commit: with a flush in the commit,
   * registrations from one address (or one NAT) queued one flush apart. The
   * limit still holds for accounts after a database crash: the WAL is one
   * ordered log, so the account's own commit, which does wait for its flush,
   * makes the count written before it durable too. A crash can only forget
   * the counts of the last fraction of a second whose registrations had not
   * committed (e.g. refused as taken), giving an address that many extra
   * attempts.
   */
  async reserveRegistration(client: string): Promise<void> {
    const clientKey = key("register-client", client);
    if (await spend(this.sql, clientKey, this.limits.registerAttempts, this.limits.registerWindowMs, { flush: false })) return;
    throw await this.refusal([{ key: clientKey, limit: this.limits.registerAttempts }], "too many registrations from this address");
  }

  /** Deletes rows whose window is over and that hold no check: what keeps the table bounded. */
  async prune(): Promise<number> {
    const deleted = await this.sql`delete from login_attempts where window_ends_at <= now() and (checking_until is null or checking_until <= now())`;
    return deleted.count;
  }

  /** The refusal, saying when the last of the blocking keys frees up (at least a second). */
  private async refusal(blocking: Array<{ key: string; limit: number }>, reason: string): Promise<AuthError> {
    const waits = await Promise.all(
      blocking.map(async ({ key: blockingKey, limit }) => {
        const [row] = await this.sql<{ wait_ms: number }[]>`
          select greatest(0,
              extract(epoch from coalesce(checking_until, now()) - now()),
              extract(epoch from coalesce(next_attempt_at, now()) - now()),
              case when attempts >= ${limit} then extract(epoch from window_ends_at - now()) else 0 end
            )::float8 * 1000 as wait_ms
          from login_attempts where key = ${blockingKey}`;
        return row?.wait_ms ?? 0;
      }),
    );
    const seconds = Math.max(1, Math.ceil(Math.max(0, ...waits) / 1000));
    return new AuthError("AUTH.TOO_MANY_ATTEMPTS", `${reason}; try again in ${seconds} seconds`, seconds);
  }
}

class Refused extends Error {}

/**
 * Counts one attempt against `key` unless `limit` are already spent in its
 * window; false when refused. `flush: false` (only outside a transaction)
 * commits the count without waiting for the disk: set_config(..., true)
 * lasts until the end of this statement's own transaction.
 */
async function spend(sql: Sql | TransactionSql, attemptKey: string, limit: number, windowMs: number, commit = { flush: true }): Promise<boolean> {
  const [row] = await sql<{ attempts: number }[]>`
    insert into login_attempts as a (key, attempts, window_ends_at)
    values (${attemptKey}, 1, now() + ${ms(windowMs)}::interval)
    on conflict (key) do update set
      attempts = case when a.window_ends_at <= now() then 1 else a.attempts + 1 end,
      window_ends_at = case when a.window_ends_at <= now() then excluded.window_ends_at else a.window_ends_at end
    where a.window_ends_at <= now() or a.attempts < ${limit}
    returning attempts${commit.flush ? sql`` : sql`, set_config('synchronous_commit', 'off', true)`}`;
  return row !== undefined;
}

const key = (kind: string, value: string) => createHash("sha256").update(`${kind}:${value}`).digest("base64url");
const ms = (value: number) => `${value} milliseconds`;
