import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "@acme/devstack";
import { startChild, type ChildService } from "../support/child-process.js";
import { profileFixture, type ProfileFixture } from "../support/profile-fixture.js";

describe("two profile instances share the durable consumer", () => {
  let f: ProfileFixture;
  const children: ChildService[] = [];

  beforeAll(async () => {
    f = await profileFixture("profile_scale", { env: { CONSUMER_BATCH_SIZE: "20" } });
  });
  afterAll(async () => {
    await Promise.allSettled(children.map((c) => c.kill("SIGKILL")));
    await f?.close();
  });

  it("every profile ends right when one instance is killed under load", async () => {
    const [a, b] = await Promise.all([startChild("services/profile/src/main.ts", f.env), startChild("services/profile/src/main.ts", f.env)]);
    children.push(a!, b!);
    const users = Array.from({ length: 300 }, (_, i) => ({ userId: f.newUserId(), deleted: i % 3 === 0 }));
    const publishUser = async ({ userId, deleted }: (typeof users)[number]) => {
      await f.auth.registered(userId, `${userId}@one.example`);
      await f.auth.emailChanged(userId, `${userId}@two.example`, 2);
      await f.auth.emailChanged(userId, `${userId}@three.example`, 3);
      if (deleted) await f.auth.deleted(userId, 4);
    };
    // Ten publishers side by side: one user's events in order, users interleaved.
    const publishAll = async (list: typeof users) => {
      for (let i = 0; i < list.length; i += 10) await Promise.all(list.slice(i, i + 10).map(publishUser));
    };

    await publishAll(users.slice(0, 150));
    await waitUntil(
      "both instances applying",
      async () => (await a!.metric("event_consumer_events_total")) > 0 && (await b!.metric("event_consumer_events_total")) > 0,
      10_000,
    );
    const killing = a!.kill("SIGKILL");
    await publishAll(users.slice(150));
    expect(await killing).toBeNull();

    await waitUntil(
      "stream fully applied and acked",
      async () => {
        const info = await f.jsm.consumers.info(f.config.AUTH_EVENTS_STREAM, f.config.CONSUMER_NAME);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      20_000,
    );
    const rows = new Map(
      (await f.sql<{ user_id: string; account_email: string; revision: string }[]>`select user_id, account_email, revision from profiles`).map((r) => [
        r.user_id,
        r,
      ]),
    );
    const tombstones = new Set((await f.sql<{ user_id: string }[]>`select user_id from user_tombstones`).map((r) => r.user_id));
    const wrong = users.filter(({ userId, deleted }) => {
      const row = rows.get(userId);
      return deleted ? row !== undefined || !tombstones.has(userId) : row?.account_email !== `${userId}@three.example` || row.revision !== "3";
    });
    expect(wrong).toEqual([]);
    expect(rows.size).toBe(200);
    expect(await f.sql`select 1 from processed_events`).toHaveLength(300 * 3 + 100);
    expect((await f.jsm.streams.info(f.config.DLQ_STREAM)).state.messages).toBe(0);

    expect(await b!.kill("SIGTERM")).toBe(0); // graceful stop
  });
});
