import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, NATS_PERMISSIONS, startNats, type NatsServer } from "@acme/devstack";

/**
 * The `console` NATS user reads and never writes: it tails AUTH_EVENTS with
 * ordered consumers of its own and reads consumer info, and NATS itself
 * refuses its publishing auth's events or pulling from a service's durable.
 */
describe("the console's NATS user (service-permissions.ts) on a real nats-server", () => {
  let dir: string;
  let server: NatsServer;
  const passwords = Object.fromEntries(Object.keys(NATS_PERMISSIONS).map((u) => [u, randomBytes(9).toString("base64url")]));
  const as = (user: string) => connect({ servers: server.url, user, pass: passwords[user]!, inboxPrefix: user === "auth" ? "_INBOX" : `_INBOX_${user}` });
  let consoleNc: NatsConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "acme-console-nats-"));
    server = await startNats({
      dir,
      port: await freePort(),
      monitorPort: await freePort(),
      users: Object.entries(NATS_PERMISSIONS).map(([user, p]) => ({ user, password: passwords[user]!, ...p })),
    });
    const auth = await as("auth");
    await (await jetstreamManager(auth, { checkAPI: false })).streams.add({ name: "AUTH_EVENTS", subjects: ["auth.events.>"] });
    await jetstream(auth, { checkAPI: false }).publish("auth.events.user_registered.v1", new Uint8Array([1]));
    await auth.close();
    const profile = await as("profile");
    await (await jetstreamManager(profile, { checkAPI: false })).consumers.add("AUTH_EVENTS", {
      durable_name: "profile",
      ack_policy: AckPolicy.Explicit,
      filter_subject: "auth.events.>",
    });
    await profile.close();
    consoleNc = await as("console");
  });
  afterAll(async () => {
    await consoleNc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tails AUTH_EVENTS through an ordered consumer of its own and reads the durables' info", async () => {
    const consumer = await jetstream(consoleNc, { checkAPI: false }).consumers.get("AUTH_EVENTS", {
      name_prefix: "console_t",
      filter_subjects: "auth.events.>",
      deliver_policy: DeliverPolicy.All,
    });
    const message = await consumer.next({ expires: 5_000 });
    expect(message?.subject).toBe("auth.events.user_registered.v1");
    const info = await (await jetstreamManager(consoleNc, { checkAPI: false })).consumers.info("AUTH_EVENTS", "profile");
    expect(info.num_pending).toBe(1);
  });

  it("may not pull from a service's durable", async () => {
    const durable = await jetstream(consoleNc, { checkAPI: false })
      .consumers.get("AUTH_EVENTS", "profile")
      .catch((e: Error) => e);
    const pulled = durable instanceof Error ? durable : await durable.next({ expires: 2_000 }).catch((e: Error) => e);
    expect(pulled).toBeInstanceOf(Error);
    const info = await (await jetstreamManager(consoleNc, { checkAPI: false })).consumers.info("AUTH_EVENTS", "profile");
    expect(info.num_ack_pending).toBe(0);
  });

  it("may not publish auth's events", async () => {
    const published = await jetstream(consoleNc, { checkAPI: false })
      .publish("auth.events.user_registered.v1", new Uint8Array([2]), { timeout: 2_000 })
      .catch((e: Error) => e);
    expect(published).toBeInstanceOf(Error);
    const auth = await as("auth");
    expect((await (await jetstreamManager(auth, { checkAPI: false })).streams.info("AUTH_EVENTS")).state.messages).toBe(1);
    await auth.close();
  });
});
