import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "@acme/devstack";
import { DLQ, runDeadLetterCommand } from "@acme/kit/consumer";
import { openDatabase } from "@acme/kit/db";
import { schema } from "../../src/db/schema.js";
import { profileEventRoutes } from "../../src/events/subscription.js";
import type { RunningProfileService } from "../../src/service.js";
import { profileFixture, type ProfileFixture } from "../support/profile-fixture.js";

interface Row {
  user_id: string;
  account_email: string;
  own_display_name: string | null;
  revision: string;
}

describe("profile builds its table from auth's events", () => {
  let f: ProfileFixture;
  let service: RunningProfileService;

  const row = async (userId: string): Promise<Row | undefined> => (await f.sql<Row[]>`select * from profiles where user_id = ${userId}`)[0];
  const untilRow = (userId: string, test: (r: Row | undefined) => boolean) => waitUntil(`profile ${userId}`, async () => test(await row(userId)), 10_000);

  beforeAll(async () => {
    f = await profileFixture("profile_events");
    service = await f.start();
  });
  afterAll(() => f?.close());

  it("a registration reaches the profiles table, with the email as display name", async () => {
    const userId = f.newUserId();
    await f.auth.registered(userId, "ada@example.com");
    await untilRow(userId, (r) => r !== undefined);
    expect(await row(userId)).toMatchObject({ account_email: "ada@example.com", own_display_name: null, revision: "1" });
  });

  it("a duplicate delivery leaves one row and one inbox entry", async () => {
    const userId = f.newUserId();
    const first = await f.auth.registered(userId, "dup@example.com");
    // The same event again with a new Nats-Msg-Id, as a republish after the duplicate window would be.
    await f.auth.registered(userId, "dup@example.com", { id: first.id, natsMsgId: `${first.id}/again` });
    await f.auth.emailChanged(userId, "dup2@example.com", 2);
    await untilRow(userId, (r) => r?.account_email === "dup2@example.com");
    expect(await f.sql`select 1 from profiles where user_id = ${userId}`).toHaveLength(1);
    expect(await f.sql`select 1 from processed_events where event_id = ${first.id}`).toHaveLength(1);
  });

  it("events of one user that arrive out of order still end in the right state", async () => {
    // Each user gets the same history (register, change twice, maybe delete) published in a different order.
    const orders: Array<Array<"r" | "e2" | "e3" | "d4">> = [
      ["e2", "r", "e3"],
      ["e3", "e2", "r"],
      ["e3", "r", "e2"],
      ["d4", "r", "e2", "e3"],
      ["e2", "d4", "r"],
      ["r", "e3", "d4", "e2"],
    ];
    const users = orders.map((order) => ({ userId: f.newUserId(), order }));
    for (const { userId, order } of users) {
      for (const step of order) {
        if (step === "r") await f.auth.registered(userId, "first@example.com");
        if (step === "e2") await f.auth.emailChanged(userId, "second@example.com", 2);
        if (step === "e3") await f.auth.emailChanged(userId, "third@example.com", 3);
        if (step === "d4") await f.auth.deleted(userId, 4);
      }
    }
    // Delivered (num_pending 0) is not applied: wait for every ack too, which comes after COMMIT.
    await waitUntil("all applied", async () => {
      const info = await f.jsm.consumers.info(f.config.AUTH_EVENTS_STREAM, f.config.CONSUMER_NAME);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    for (const { userId, order } of users) {
      const deleted = order.includes("d4");
      await untilRow(userId, (r) => (deleted ? r === undefined : r?.account_email === "third@example.com"));
      if (deleted) expect(await f.sql`select revision from user_tombstones where user_id = ${userId}`).toEqual([{ revision: "4" }]);
      else expect((await row(userId))?.revision).toBe("3");
    }
  });

  it("a deletion removes the user's personal data", async () => {
    const userId = f.newUserId();
    await f.auth.registered(userId, "gone@example.com");
    await untilRow(userId, (r) => r !== undefined);
    await f.sql`update profiles set own_display_name = 'Gone Soon', avatar_url = 'https://example.com/a.png' where user_id = ${userId}`;
    await f.auth.deleted(userId, 2);
    await untilRow(userId, (r) => r === undefined);
    const anywhere = await f.sql`
      select 'profile' from profiles where user_id = ${userId} or account_email = 'gone@example.com'
      union all select 'tombstone with data' from user_tombstones where user_id = ${userId} and revision <> 2`;
    expect(anywhere).toEqual([]);
  });

  it("a poison message lands in the dead-letter stream with its reason while later events still apply", async () => {
    const victim = f.newUserId();
    const poison = await f.auth.poison(victim);
    const later = f.newUserId();
    await f.auth.registered(later, "later@example.com");
    await untilRow(later, (r) => r?.account_email === "later@example.com");
    await waitUntil("dead letter", async () => (await f.jsm.streams.info(f.config.DLQ_STREAM).catch(() => undefined))?.state.messages === 1);
    const dead = await f.jsm.streams.getMessage(f.config.DLQ_STREAM, { seq: 1 });
    expect(dead?.header.get(DLQ.reason)).toBe("undecodable");
    expect(dead?.header.get("ce-id")).toBe(poison.id);
    expect(dead?.header.get(DLQ.subject)).toBe(`${f.config.AUTH_EVENTS_SUBJECT_PREFIX}.user_registered.v1`);
    const metrics = await (await fetch(`http://127.0.0.1:${service.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/event_consumer_dead_letters_total\{consumer="[^"]+",reason="undecodable",service="profile"\} 1/);
  });

  it("dead letters can be listed, shown decoded, replayed and purged", async () => {
    // An event the handler refuses (no email) is dead-lettered as invalid; once the cause is fixed it can be replayed.
    const userId = f.newUserId();
    await f.auth.registered(userId, "not-an-email");
    await waitUntil("second dead letter", async () => (await f.jsm.streams.info(f.config.DLQ_STREAM)).state.messages === 2);
    const database = openDatabase(f.config.DATABASE_URL, schema, { max: 2 });
    const lines: string[] = [];
    const dlq = (...args: string[]) =>
      runDeadLetterCommand(args, { nc: f.nc, db: database.db, settings: f.config.consumer, routes: profileEventRoutes(), out: (l) => lines.push(l) });
    try {
      expect(await dlq("list")).toBe(0);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^1\t.*\tundecodable\tacme.auth.events.v1.UserRegistered\t/);
      expect(lines[1]).toMatch(/^2\t.*\tinvalid-event\t.*UserRegistered.email must be an email address/);

      lines.length = 0;
      expect(await dlq("show", "2")).toBe(0);
      expect(lines.join("\n")).toContain(`"userId": "${userId}"`);
      expect(lines.join("\n")).toContain("dlq-reason: invalid-event");

      lines.length = 0;
      expect(await dlq("replay", "2")).toBe(1); // still invalid: kept
      expect(lines[0]).toMatch(/^2: still fails, kept/);

      // A transient cause (here: a registration whose own data was fine) replays into the table.
      const replayable = f.newUserId();
      await f.sql`insert into processed_events (event_id) values ('placeholder')`;
      const fine = await f.auth.registered(replayable, "fine@example.com");
      await untilRow(replayable, (r) => r !== undefined);
      await f.sql`delete from profiles where user_id = ${replayable}`;
      await f.sql`delete from processed_events where event_id = ${fine.id}`;
      // Put the good event into the dead-letter stream the way the consumer does, then replay it.
      const stored = await f.jsm.streams.getMessage(f.config.AUTH_EVENTS_STREAM, { seq: fine.seq });
      const h = stored!.header;
      h.set(DLQ.reason, "max-deliveries");
      h.set(DLQ.stream, f.config.AUTH_EVENTS_STREAM);
      h.set(DLQ.subject, stored!.subject);
      h.set(DLQ.sequence, String(fine.seq));
      await f.js.publish(`${f.config.DLQ_SUBJECT_PREFIX}.${stored!.subject}`, stored!.data, { headers: h, msgID: "manual-dead-letter" });
      lines.length = 0;
      expect(await dlq("replay", "3")).toBe(0);
      expect(lines[0]).toBe(`3: applied; removed from ${f.config.DLQ_STREAM}`);
      expect((await row(replayable))?.account_email).toBe("fine@example.com");

      lines.length = 0;
      expect(await dlq("purge", "1")).toBe(0);
      expect(await dlq("purge", "all")).toBe(0);
      expect(lines).toEqual([`deleted dead letter 1 from ${f.config.DLQ_STREAM}`, `purged 1 dead letters from ${f.config.DLQ_STREAM}`]);
      lines.length = 0;
      expect(await dlq("list")).toBe(0);
      expect(lines).toEqual([`${f.config.DLQ_STREAM} is empty`]);
    } finally {
      await database.close();
    }
  });
});
