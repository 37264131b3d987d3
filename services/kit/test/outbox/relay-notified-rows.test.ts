import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import postgres, { type Sql } from "postgres";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";
import { createLogger } from "../../src/logging.js";
import { NotifiedRows, parseNotifiedRows } from "../../src/outbox/notified-rows.js";
import { startOutboxRelay } from "../../src/outbox/outbox-relay.js";

const announced = (id: string, key = "k") =>
  JSON.stringify([
    { id, event_id: randomUUID(), subject: "s", partition_key: key, payload: Buffer.from(`body ${id}`).toString("base64"), headers: { a: "b" } },
  ]);

describe("NotifiedRows: when the NOTIFY payloads may stand in for a claim", () => {
  it("parses the rows a payload carries, and nothing from '' or from a payload that is not ours", () => {
    const [row] = parseNotifiedRows(announced("7"))!;
    expect(row).toMatchObject({ id: "7", partition_key: "k", headers: { a: "b" } });
    expect(row!.payload.toString()).toBe("body 7");
    expect(parseNotifiedRows("")).toBeUndefined();
    expect(parseNotifiedRows("not json")).toBeUndefined();
    expect(parseNotifiedRows('{"id":"7"}')).toBeUndefined();
    expect(parseNotifiedRows('[{"id":7}]')).toBeUndefined();
  });

  it("trusts payloads only after a claim that took everything, and forgets them on anything that may have lost one", () => {
    const held = new NotifiedRows(100);
    held.add(announced("1"));
    expect(held.take(10)).toBeUndefined(); // no claim yet
    let epoch = held.claimStarting();
    held.add(announced("2")); // committed after the claim's snapshot
    held.claimTookEverything(epoch, []);
    expect(held.take(10)?.map((row) => row.id)).toEqual(["2"]);
    expect(held.take(10)).toEqual([]); // nothing unsent: no claim needed

    held.add(""); // a statement too large to announce its rows
    held.add(announced("3"));
    expect(held.take(10)).toBeUndefined();

    epoch = held.claimStarting();
    held.invalidate(); // the LISTEN reconnected while the claim ran
    held.claimTookEverything(epoch, []);
    expect(held.take(10)).toBeUndefined();
  });

  it("drops rows the claim already published, and forgets everything past its limit", () => {
    const held = new NotifiedRows(2);
    const epoch = held.claimStarting();
    held.add(announced("1")); // claimed and published by the claim, notified late
    held.add(announced("2"));
    held.claimTookEverything(epoch, ["1"]);
    held.add(announced("1"));
    expect(held.take(10)?.map((row) => row.id)).toEqual(["2"]);
    held.add(announced("3"));
    held.add(announced("4"));
    held.add(announced("5")); // a third row held: too many
    expect(held.take(10)).toBeUndefined();
  });
});

// The trigger auth's migration 0004 installs: the inserted rows in the NOTIFY when they fit, '' otherwise.
const OUTBOX_DDL = `
  create table outbox (
    id bigserial primary key, event_id uuid not null unique, subject text not null,
    partition_key text not null, payload bytea not null, headers jsonb not null,
    created_at timestamptz not null default now(), published_at timestamptz);
  create or replace function outbox_notify() returns trigger language plpgsql as $$
  declare rows_json text;
  begin
    if (select count(*) from (select 1 from inserted limit 21) as first_rows) > 20 then
      perform pg_notify('outbox_inserted', ''); return null;
    end if;
    select json_agg(json_build_object('id', id::text, 'event_id', event_id, 'subject', subject, 'partition_key', partition_key,
             'payload', encode(payload, 'base64'), 'headers', headers) order by id)::text into rows_json from inserted;
    if rows_json is null then return null; end if;
    perform pg_notify('outbox_inserted', case when octet_length(rows_json) < 8000 then rows_json else '' end);
    return null;
  end $$;
  create trigger outbox_notify after insert on outbox referencing new table as inserted
    for each statement execute function outbox_notify();`;

describe("outbox relay publishing from NOTIFY payloads", () => {
  let db: TestDatabase;
  let sql: Sql;
  let nc: NatsConnection;
  const ns = testNamespace();
  const stream = ns.stream("RELAY_NOTIFIED");
  const prefix = ns.subjectPrefix("relaynotified");
  const logger = createLogger("relay-notified-test", "silent");

  beforeAll(async () => {
    db = await createTestDatabase("relay_notified");
    sql = postgres(db.url, { max: 4, onnotice: () => {} });
    await sql.unsafe(OUTBOX_DDL);
    nc = await connect({ servers: natsUrl() });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.File, duplicate_window: 120_000_000_000 });
  });
  afterAll(async () => {
    await nc.close();
    await sql.end();
    await db.drop();
  });

  const insert = (key: string, n: number, size = 0) =>
    sql`insert into outbox (event_id, subject, partition_key, payload, headers)
        values (${randomUUID()}, ${`${prefix}.test`}, ${key}, ${Buffer.from(`${key}:${n}:${"x".repeat(size)}`)}, ${sql.json({ "ce-subject": key })})`;

  async function streamBodies(): Promise<string[]> {
    const jsm = await jetstreamManager(nc);
    const total = (await jsm.streams.info(stream)).state.messages;
    const bodies: string[] = [];
    for (let seq = 1; bodies.length < total; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m) bodies.push(new TextDecoder().decode(m.data).split(":").slice(0, 2).join(":"));
    }
    return bodies;
  }

  async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const unsent = async () => (await sql<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`)[0]!.n;

  async function rounds(registry: Registry): Promise<{ notify: number; claim: number }> {
    const values = (await registry.getSingleMetric("outbox_relay_rounds_total")!.get()).values;
    const count = (source: string) => values.find((v) => v.labels.source === source)?.value ?? 0;
    return { notify: count("notify"), claim: count("claim") };
  }

  /** A relay that polls only every 10 min: every claim after its first comes from a reason to distrust the payloads. */
  function startRelay(registry: Registry) {
    return startOutboxRelay({ databaseUrl: db.url, js: jetstream(nc), logger, registry, pollIntervalMs: 600_000, lockName: `notified-${randomUUID()}` });
  }

  const ordersOf = (bodies: string[], key: string) => bodies.filter((b) => b.startsWith(`${key}:`)).map((b) => Number(b.split(":")[1]));

  it("publishes what commits announce without claiming it, in each key's order", async () => {
    const registry = new Registry();
    const relay = startRelay(registry);
    try {
      await until("the first claim", async () => relay.isLeader() && (await rounds(registry)).claim === 1);
      for (let n = 1; n <= 30; n++) await insert(`fast${n % 3}`, n);
      await until("published and marked", async () => (await unsent()) === 0);
      const after = await rounds(registry);
      expect(after.claim).toBe(1);
      expect(after.notify).toBeGreaterThan(0);
      const bodies = await streamBodies();
      for (const key of ["fast0", "fast1", "fast2"]) expect(ordersOf(bodies, key)).toEqual([...ordersOf(bodies, key)].sort((a, b) => a - b));
      expect(bodies.filter((b) => b.startsWith("fast")).length).toBe(30);
    } finally {
      await relay.stop();
    }
  });

  it("claims a row too large for its NOTIFY, and the key's later rows wait for it", async () => {
    const registry = new Registry();
    const relay = startRelay(registry);
    try {
      await until("the first claim", async () => relay.isLeader() && (await rounds(registry)).claim === 1);
      // One after another: each commits before the next starts, so 2 comes before 3 and 4 in every sense.
      for (const [n, size] of [
        [1, 0],
        [2, 9_000],
        [3, 0],
        [4, 0],
      ] as const)
        await insert("big", n, size);
      await until("published and marked", async () => (await unsent()) === 0);
      expect((await rounds(registry)).claim).toBeGreaterThan(1);
      expect(ordersOf(await streamBodies(), "big")).toEqual([1, 2, 3, 4]);
    } finally {
      await relay.stop();
    }
  });

  it("claims at once when its LISTEN connection comes back, since notifications sent while it was down are lost", async () => {
    const registry = new Registry();
    const relay = startRelay(registry);
    const listening = () => sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
    try {
      await until("the first claim", async () => relay.isLeader() && (await rounds(registry)).claim === 1);
      await insert("cut", 1);
      await until("the first row", async () => (await unsent()) === 0);
      const [before] = await listening();
      // The second row commits while the LISTEN connection is (most likely) still coming back: its NOTIFY is lost.
      await Promise.all([sql`select pg_terminate_backend(${before!.pid})`, insert("cut", 2)]);
      await until("the LISTEN back", async () => (await listening()).some(({ pid }) => pid !== before!.pid));
      await until("the second row", async () => (await unsent()) === 0);
      expect((await rounds(registry)).claim).toBeGreaterThanOrEqual(2);
      await insert("cut", 3);
      await until("the third row", async () => (await unsent()) === 0);
      expect(ordersOf(await streamBodies(), "cut")).toEqual([1, 2, 3]);
    } finally {
      await relay.stop();
    }
  });
});
