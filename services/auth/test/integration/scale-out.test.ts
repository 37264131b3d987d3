import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { waitUntil } from "@acme/devstack";
import { natsUrl, type TestDatabase } from "@acme/testing";
import { authTestEnv } from "../support/auth-fixture.js";
import { spawnAuth, type AuthProcess } from "../support/auth-process.js";
import { readStream, waitForStreamCount } from "../support/stream-reader.js";

const PASSWORD = "correct horse battery staple";

describe("two auth instances on one database", () => {
  const processes: AuthProcess[] = [];
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill("SIGKILL")));
    await db?.drop();
  });

  it("lose no event and keep each user's order when the relaying instance is killed", async () => {
    const setup = await authTestEnv();
    db = setup.db;
    const env = setup.env;
    const first = await spawnAuth(env);
    processes.push(first);
    await waitUntil("a relay", async () => first.isRelaying());
    const second = await spawnAuth(env);
    processes.push(second);
    expect(second.isRelaying()).toBe(false);

    // Load through the standby while the relaying instance dies mid-way.
    const users: Array<{ userId: string; email: string }> = [];
    let killedAt = 0;
    for (let n = 0; n < 40; n++) {
      const email = `scale${n}@example.com`;
      const { userId } = await second.client.register({ email, password: PASSWORD });
      const { accessToken } = await second.client.login({ email, password: PASSWORD });
      const headers = { authorization: `Bearer ${accessToken}` };
      await second.client.changeEmail({ newEmail: `scale${n}.a@example.com`, currentPassword: PASSWORD }, { headers });
      await second.client.changeEmail({ newEmail: `scale${n}.b@example.com`, currentPassword: PASSWORD }, { headers });
      users.push({ userId, email: `scale${n}.b@example.com` });
      if (n === 15) {
        await first.kill("SIGKILL");
        killedAt = Date.now();
      }
    }
    await waitUntil("the survivor relays", async () => second.isRelaying(), 15_000);
    const tookOver = second.logs.find((entry) => entry.msg?.includes("now publishing the outbox"))!;
    const takeoverMs = tookOver.time! - killedAt;
    console.log(`relay takeover after kill -9 of the relaying instance: ${takeoverMs} ms`);
    expect(takeoverMs).toBeGreaterThanOrEqual(0);
    expect(takeoverMs).toBeLessThan(10_000);

    await waitForStreamCount(natsUrl(), env.AUTH_EVENTS_STREAM!, users.length * 3, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = await readStream(natsUrl(), env.AUTH_EVENTS_STREAM!);
    expect(events).toHaveLength(users.length * 3);
    for (const { userId, email } of users) {
      const mine = events.filter((e) => e.headers["ce-subject"] === userId);
      const revisions = mine.map((e) =>
        e.headers["ce-type"] === "acme.auth.events.v1.UserRegistered"
          ? fromBinary(UserRegisteredSchema, e.data).revision
          : fromBinary(UserEmailChangedSchema, e.data).revision,
      );
      expect(revisions).toEqual([1n, 2n, 3n]);
      expect(fromBinary(UserEmailChangedSchema, mine[2]!.data).email).toBe(email);
    }
  }, 120_000); // 160 sequential argon2 operations through tsx-run processes, each password check also reserved in PostgreSQL
});
