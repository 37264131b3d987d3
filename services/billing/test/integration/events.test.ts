import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "@acme/devstack";
import { DLQ } from "@acme/kit/consumer";
import type { RunningBillingService } from "../../src/service.js";
import { billingFixture, type BillingFixture } from "../support/billing-fixture.js";

interface Row {
  user_id: string;
  account_email: string;
  own_billing_email: string | null;
  address_line1: string | null;
  revision: string;
}

describe("billing builds its contacts from auth's events", () => {
  let f: BillingFixture;
  let service: RunningBillingService;

  const row = async (userId: string): Promise<Row | undefined> => (await f.sql<Row[]>`select * from billing_contacts where user_id = ${userId}`)[0];
  const untilRow = (userId: string, test: (r: Row | undefined) => boolean) => waitUntil(`contact ${userId}`, async () => test(await row(userId)), 10_000);

  beforeAll(async () => {
    f = await billingFixture("billing_events");
    service = await f.start();
  });
  afterAll(() => f?.close());

  it("a registration reaches the billing_contacts table, billed to the account email", async () => {
    const userId = f.newUserId();
    await f.auth.registered(userId, "ada@example.com");
    await untilRow(userId, (r) => r !== undefined);
    expect(await row(userId)).toMatchObject({ account_email: "ada@example.com", own_billing_email: null, address_line1: null, revision: "1" });
  });

  it("a duplicate delivery leaves one row and one inbox entry", async () => {
    const userId = f.newUserId();
    const first = await f.auth.registered(userId, "dup@example.com");
    await f.auth.registered(userId, "dup@example.com", { id: first.id, natsMsgId: `${first.id}/again` });
    await f.auth.emailChanged(userId, "dup2@example.com", 2);
    await untilRow(userId, (r) => r?.account_email === "dup2@example.com");
    expect(await f.sql`select 1 from billing_contacts where user_id = ${userId}`).toHaveLength(1);
    expect(await f.sql`select 1 from processed_events where event_id = ${first.id}`).toHaveLength(1);
  });

  it("an email change keeps a billing email the user set, and out-of-order changes end right", async () => {
    const userId = f.newUserId();
    await f.auth.emailChanged(userId, "third@example.com", 3); // overtook everything
    const registered = await f.auth.registered(userId, "first@example.com");
    await untilRow(userId, (r) => r !== undefined);
    // Both applied before the direct UPDATE below, which takes no per-user lock and would race the registration's apply.
    await waitUntil("registration applied", async () => (await f.sql`select 1 from processed_events where event_id = ${registered.id}`).length === 1, 10_000);
    await f.sql`update billing_contacts set own_billing_email = 'invoices@corp.example' where user_id = ${userId}`;
    await f.auth.emailChanged(userId, "second@example.com", 2); // stale: ignored
    await f.auth.emailChanged(userId, "fourth@example.com", 4);
    await untilRow(userId, (r) => r?.revision === "4");
    expect(await row(userId)).toMatchObject({ account_email: "fourth@example.com", own_billing_email: "invoices@corp.example" });
  });

  it("a deletion removes billing emails and address; a late registration does not bring them back", async () => {
    const userId = f.newUserId();
    await f.auth.deleted(userId, 2); // before its registration
    await f.auth.registered(userId, "late@example.com");
    const other = f.newUserId();
    await f.auth.registered(other, "kept@example.com");
    await f.auth.deleted(other, 2);
    await waitUntil("tombstones", async () => (await f.sql`select 1 from user_tombstones where user_id in (${userId}, ${other})`).length === 2);
    await waitUntil("applied (delivered and acked, which is after COMMIT)", async () => {
      const info = await f.jsm.consumers.info(f.config.AUTH_EVENTS_STREAM, f.config.CONSUMER_NAME);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    expect(
      await f.sql`select 1 from billing_contacts where user_id in (${userId}, ${other}) or account_email in ('late@example.com', 'kept@example.com')`,
    ).toEqual([]);
  });

  it("a poison message lands in the dead-letter stream with its reason while later events still apply", async () => {
    const poison = await f.auth.poison(f.newUserId());
    const later = f.newUserId();
    await f.auth.registered(later, "later@example.com");
    await untilRow(later, (r) => r !== undefined);
    await waitUntil("dead letter", async () => (await f.jsm.streams.info(f.config.DLQ_STREAM).catch(() => undefined))?.state.messages === 1);
    const dead = await f.jsm.streams.getMessage(f.config.DLQ_STREAM, { seq: 1 });
    expect(dead?.header.get(DLQ.reason)).toBe("undecodable");
    expect(dead?.header.get("ce-id")).toBe(poison.id);
    const metrics = await (await fetch(`http://127.0.0.1:${service.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/event_consumer_dead_letters_total\{consumer="[^"]+",reason="undecodable",service="billing"\} 1/);
  });
});

describe("replay: billing started on a stream with history", () => {
  let f: BillingFixture;
  beforeAll(async () => {
    f = await billingFixture("billing_replay", { env: { CONSUMER_BATCH_SIZE: "200" } });
  });
  afterAll(() => f?.close());

  it("builds one contact per registration from 1,000 registrations", async () => {
    const users = Array.from({ length: 1_000 }, () => f.newUserId());
    for (let i = 0; i < users.length; i += 50) await Promise.all(users.slice(i, i + 50).map((u) => f.auth.registered(u, `${u}@example.com`)));
    expect((await f.jsm.streams.info(f.config.AUTH_EVENTS_STREAM)).state.messages).toBe(1_000);
    const started = Date.now();
    await f.start();
    await waitUntil("1,000 contacts", async () => Number((await f.sql<{ n: string }[]>`select count(*) as n from billing_contacts`)[0]?.n) === 1_000, 20_000);
    console.log(`replayed 1,000 registrations in ${Date.now() - started} ms (including start-up)`);
    const sample = await f.sql<{ account_email: string }[]>`select account_email from billing_contacts where user_id = ${users[777]!}`;
    expect(sample[0]?.account_email).toBe(`${users[777]}@example.com`);
  });
});
