import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "@acme/kit/db";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { AuthError } from "../../src/domain/errors.js";
import { DEFAULT_THROTTLE_LIMITS, LoginThrottle, type ThrottleLimits } from "../../src/security/login-throttle.js";
import { MIGRATIONS_FOLDER } from "../../src/service.js";

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof AuthError) return error;
      throw error;
    },
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("LoginThrottle on PostgreSQL", () => {
  let db: TestDatabase;
  const pools: Sql[] = [];
  const throttle = (limits: Partial<ThrottleLimits> = {}) => {
    const sql = postgres(db.url, { max: 10, onnotice: () => {} });
    pools.push(sql);
    return new LoginThrottle(sql, { ...DEFAULT_THROTTLE_LIMITS, ...limits });
  };

  beforeAll(async () => {
    db = await createTestDatabase("auth_throttle");
    await runMigrations(db.url, MIGRATIONS_FOLDER, "auth");
  });
  afterAll(async () => {
    await Promise.all(pools.map((sql) => sql.end()));
    await db.drop();
  });

  it("grants one password check at a time per account, across two instances, among 60 concurrent requests", async () => {
    const [a, b] = [throttle(), throttle()];
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? a : b).reservePasswordCheck("race@example.com", `client-${i}`).then(
          () => "granted",
          () => "refused",
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "granted")).toHaveLength(1);
  });

  it("counts a check from its reservation: two free failures, then a doubling delay, then the window; success starts over", async () => {
    // Delays and windows long enough that a stalled machine cannot let them pass between two statements.
    const t = throttle({ accountAttempts: 4, accountWindowMs: 8_000, delayBaseMs: 1_500 });
    for (let i = 0; i < 2; i++) await (await t.reservePasswordCheck("slow@example.com", "c")).failed();
    await (await t.reservePasswordCheck("slow@example.com", "c")).failed(); // third failure: 1.5 s delay
    const delayed = await refusal(t.reservePasswordCheck("slow@example.com", "c"));
    expect(delayed).toMatchObject({ code: "AUTH.TOO_MANY_ATTEMPTS" });
    expect(delayed?.message).toMatch(/^too many failed sign-in attempts; try again in [12] seconds$/);
    await sleep(1_600);
    await (await t.reservePasswordCheck("slow@example.com", "c")).failed(); // fourth: the window's budget is spent
    const locked = await refusal(t.reservePasswordCheck("slow@example.com", "c"));
    expect(locked?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await sleep(8_000); // the window ends: the owner is not locked out for long
    await (await t.reservePasswordCheck("slow@example.com", "c")).succeeded();
    await (await t.reservePasswordCheck("slow@example.com", "c")).succeeded();
  });

  it("limits failed checks per client across accounts, and refunds successful ones", async () => {
    const t = throttle({ clientAttempts: 3, clientWindowMs: 60_000 });
    await (await t.reservePasswordCheck("ok@example.com", "10.0.0.1")).succeeded();
    for (let i = 0; i < 3; i++) await (await t.reservePasswordCheck(`guess${i}@example.com`, "10.0.0.1")).failed();
    const refused = await refusal(t.reservePasswordCheck("other@example.com", "10.0.0.1"));
    expect(refused?.message).toMatch(/^too many failed sign-in attempts; try again in \d+ seconds$/);
    // The refused attempt reserved nothing for the account: another client may check it at once.
    await (await t.reservePasswordCheck("other@example.com", "10.0.0.2")).succeeded();
  });

  it("limits registrations per client", async () => {
    const t = throttle({ registerAttempts: 2, registerWindowMs: 60_000 });
    await t.reserveRegistration("10.1.0.1");
    await t.reserveRegistration("10.1.0.1");
    expect((await refusal(t.reserveRegistration("10.1.0.1")))?.message).toMatch(/^too many registrations from this address; try again in \d+ seconds$/);
    await t.reserveRegistration("10.1.0.2");
  });

  it("grants exactly the limit of registrations per client among 60 concurrent requests on two instances", async () => {
    const [a, b] = [throttle({ registerAttempts: 7 }), throttle({ registerAttempts: 7 })];
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? a : b).reserveRegistration("10.2.0.1").then(
          () => "granted",
          () => "refused",
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "granted")).toHaveLength(7);
  });

  it("commits a registration's count on its own, leaving the connection's synchronous commit on for the account insert that follows", async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    pools.push(sql);
    const t = new LoginThrottle(sql, DEFAULT_THROTTLE_LIMITS);
    await t.reserveRegistration("10.3.0.1");
    // The same (only) connection: the account insert that follows must still wait for its flush.
    const [setting] = await sql<{ synchronous_commit: string }[]>`show synchronous_commit`;
    expect(setting?.synchronous_commit).toBe("on");
    const [row] = await sql<{ attempts: number }[]>`select attempts from login_attempts order by window_ends_at desc limit 1`;
    expect(row?.attempts).toBe(1);
  });

  it("stores no email or address, and prunes rows once their window is over", async () => {
    const t = throttle({ accountWindowMs: 200, clientWindowMs: 200 });
    for (let i = 0; i < 20; i++) await (await t.reservePasswordCheck(`spray${i}@example.com`, `192.0.2.${i}`)).failed();
    const sql = pools[0]!;
    const keys = await sql<{ key: string }[]>`select key from login_attempts`;
    expect(keys.some((k) => k.key.includes("@") || k.key.includes("192.0.2."))).toBe(false);
    await sleep(300);
    expect(await t.prune()).toBeGreaterThanOrEqual(40);
    expect(await sql`select 1 from login_attempts where window_ends_at <= now()`).toHaveLength(0);
  });
});
