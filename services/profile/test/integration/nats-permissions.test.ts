import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, SERVICE_NATS_PERMISSIONS, startNats, waitUntil, type NatsServer } from "@acme/devstack";
import { runDeadLetterCommand } from "@acme/kit/consumer";
import { openDatabase } from "@acme/kit/db";
import { connectNats } from "@acme/kit/nats";
import { declareEventStream, authStandIn } from "@acme/kit/testing";
import { loadConfig } from "../../src/config.js";
import { schema } from "../../src/db/schema.js";
import { profileEventRoutes } from "../../src/events/subscription.js";
import { profileFixture, type ProfileFixture } from "../support/profile-fixture.js";

/**
 * Profile under its real NATS user, with the production names (AUTH_EVENTS,
 * durable "profile", DLQ_PROFILE) on a nats-server of its own: consuming,
 * dead-lettering and the dlq command need nothing beyond the permissions
 * that deploy/ and `npm start` grant (tools/devstack/src/service-permissions.ts).
 */
describe("profile with least-privilege NATS permissions", () => {
  let dir: string;
  let nats: NatsServer;
  let f: ProfileFixture;
  let auth: NatsConnection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "profile-perms-"));
    const users = (["auth", "profile"] as const).map((user) => ({ user, password: `${user}-secret`, ...SERVICE_NATS_PERMISSIONS[user] }));
    nats = await startNats({ dir, port: await freePort(), monitorPort: await freePort(), users });
    f = await profileFixture("profile_perms", {
      declareStream: false,
      env: {
        NATS_URL: nats.url,
        NATS_USER: "profile",
        NATS_PASSWORD: "profile-secret",
        AUTH_EVENTS_STREAM: "AUTH_EVENTS",
        AUTH_EVENTS_SUBJECT_PREFIX: "auth.events",
        CONSUMER_NAME: "profile",
        DLQ_STREAM: "DLQ_PROFILE",
        DLQ_SUBJECT_PREFIX: "dlq.profile",
      },
    });
    auth = await connectNats({ url: nats.url, user: "auth", password: "auth-secret", name: "auth-stand-in" });
    await declareEventStream(await jetstreamManager(auth), "AUTH_EVENTS", "auth.events");
  });
  afterAll(async () => {
    await f?.close();
    await auth?.drain();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("consumes, dead-letters and runs the dlq command as user 'profile'", async () => {
    const service = await f.start();
    const publisher = authStandIn(jetstream(auth), "auth.events");
    const userId = f.newUserId();
    await publisher.poison(f.newUserId());
    await publisher.registered(userId, "least@example.com");
    await waitUntil("profile row", async () => (await f.sql`select 1 from profiles where user_id = ${userId}`).length === 1, 10_000);
    expect(service.consumer()?.isConsuming()).toBe(true);

    const nc = await connectNats({ url: nats.url, user: "profile", password: "profile-secret", name: "profile-dlq", inboxPrefix: "_INBOX_profile" });
    const database = openDatabase(f.config.DATABASE_URL, schema, { max: 1 });
    const lines: string[] = [];
    const dlq = (...args: string[]) =>
      runDeadLetterCommand(args, { nc, db: database.db, settings: loadConfig(f.env).consumer, routes: profileEventRoutes(), out: (l) => lines.push(l) });
    try {
      await waitUntil("dead letter listed", async () => {
        lines.length = 0;
        await dlq("list");
        return lines[0]?.startsWith("1\t") ?? false;
      });
      expect(lines[0]).toContain("undecodable");
      lines.length = 0;
      expect(await dlq("show", "1")).toBe(0);
      expect(await dlq("purge", "all")).toBe(0);
      expect(lines.at(-1)).toBe("purged 1 dead letters from DLQ_PROFILE");
    } finally {
      await nc.drain();
      await database.close();
    }
  });
});
