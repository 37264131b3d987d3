import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "@acme/devstack";
import { startChild } from "../support/child-process.js";
import { profileFixture, type ProfileFixture } from "../support/profile-fixture.js";

describe("a consumer killed after COMMIT and before ack", () => {
  let f: ProfileFixture;

  beforeAll(async () => {
    f = await profileFixture("profile_crash");
  });
  afterAll(() => f?.close());

  it("applies the event once: the redelivery finds it in the inbox", async () => {
    const userId = f.newUserId();
    const event = await f.auth.registered(userId, "once@example.com");
    const crashing = await startChild(
      "services/profile/test/support/profile-process.ts",
      { ...f.env, PROFILE_TEST_CRASH_AFTER_COMMIT: "1" },
      { waitReady: false },
    );
    const code = await Promise.race([
      crashing.exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`did not crash:\n${crashing.output()}`)), 20_000)),
    ]);
    expect(code).toBeNull(); // killed by a signal

    // Committed, but never acked.
    const [committed] = await f.sql<{ updated_at: Date }[]>`select updated_at from profiles where user_id = ${userId}`;
    expect(committed).toBeDefined();
    expect(await f.sql`select 1 from processed_events where event_id = ${event.id}`).toHaveLength(1);
    const info = await f.jsm.consumers.info(f.config.AUTH_EVENTS_STREAM, f.config.CONSUMER_NAME);
    expect(info.num_ack_pending + info.num_redelivered).toBeGreaterThan(0);

    // A new instance gets the redelivery after the ack wait, and does nothing but ack it.
    const service = await f.start();
    const registry = async () => (await fetch(`http://127.0.0.1:${service.adminPort}/metrics`)).text();
    await waitUntil(
      "redelivery acked",
      async () => (await f.jsm.consumers.info(f.config.AUTH_EVENTS_STREAM, f.config.CONSUMER_NAME)).num_ack_pending === 0,
      10_000,
    );
    await waitUntil("duplicate counted", async () => /event_consumer_events_total\{[^}]*outcome="duplicate"[^}]*\} 1\n/.test(await registry()), 5_000);
    expect(await registry()).not.toMatch(/outcome="applied"/);
    const [after] = await f.sql<{ updated_at: Date }[]>`select updated_at from profiles where user_id = ${userId}`;
    expect(after?.updated_at).toEqual(committed?.updated_at);
    expect(await f.sql`select 1 from processed_events`).toHaveLength(1);
  });
});
