import { AuthError } from "../domain/errors.js";

export interface LoginThrottleLimits {
  /** Failed logins allowed per account within `accountWindowMs`. */
  accountFailures: number;
  accountWindowMs: number;
  /** Failed logins allowed per client address within `clientWindowMs`. */
  clientFailures: number;
  clientWindowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginThrottleLimits = {
  accountFailures: 5,
  accountWindowMs: 15 * 60_000,
  clientFailures: 20,
  clientWindowMs: 60_000,
};

const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts failed logins in sliding windows, per account and per client, and
 * refuses further attempts once either is exhausted. In memory, per auth
 * instance: behind N instances an attacker gets up to N times the budget.
 * A shared store (a Postgres table or Redis) is the next step if that matters.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: LoginThrottleLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws TOO_MANY_ATTEMPTS before any password is checked. */
  check(account: string, client: string): void {
    const wait = Math.max(
      this.retryAfter(`account:${account}`, this.limits.accountFailures, this.limits.accountWindowMs),
      this.retryAfter(`client:${client}`, this.limits.clientFailures, this.limits.clientWindowMs),
    );
    if (wait > 0) {
      throw new AuthError("AUTH.TOO_MANY_ATTEMPTS", `too many failed sign-in attempts; try again in ${wait} seconds`, wait);
    }
  }

  recordFailure(account: string, client: string): void {
    if (this.failures.size > MAX_TRACKED_KEYS) this.forgetExpired();
    for (const key of [`account:${account}`, `client:${client}`]) {
      const times = this.failures.get(key) ?? [];
      times.push(this.now());
      this.failures.set(key, times.slice(-100));
    }
  }

  recordSuccess(account: string): void {
    this.failures.delete(`account:${account}`);
  }

  private retryAfter(key: string, limit: number, windowMs: number): number {
    const since = this.now() - windowMs;
    const recent = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length < limit) return 0;
    const oldestCounted = recent[recent.length - limit]!;
    return Math.max(1, Math.ceil((oldestCounted + windowMs - this.now()) / 1000));
  }

  private forgetExpired(): void {
    const longest = Math.max(this.limits.accountWindowMs, this.limits.clientWindowMs);
    const since = this.now() - longest;
    for (const [key, times] of this.failures) {
      if (times.every((t) => t <= since)) this.failures.delete(key);
    }
  }
}
