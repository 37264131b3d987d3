import { randomUUID } from "node:crypto";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logging.js";
import { NotifiedRows, parseNotifiedRows } from "../../src/outbox/notified-rows.js";
import { startOutboxRelay } from "../../src/outbox/outbox-relay.js";
import { outboxTestBed, ROWS_NOTIFY_TRIGGER, until } from "./outbox-test-bed.js";

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
    expect(parseNotifiedRows(announced("7}::bigint[]; --"))).toBeUndefined(); // ids are bigints
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

describe("outbox relay publishing from NOTIFY payloads", () => {
  const bed = outboxTestBed("relay_notified", ROWS_NOTIFY_TRIGGER);
  const { streamBodies, unsent } = bed;
  const logger = createLogger("relay-notified-test", "silent");
  const insert = (key: string, n: number, size = 0) => bed.insert(key, n, { size });

  async function rounds(registry: Registry): Promise<{ notify: number; claim: number }> {
    const values = (await registry.getSingleMetric("outbox_relay_rounds_total")!.get()).values;
    const count = (source: string) => values.find((v) => v.labels.source === source)?.value ?? 0;
    return { notify: count("notify"), claim: count("claim") };
  }

  /**
   * A relay that polls only every 10 min (every claim after its first comes
   * from a reason to distrust the payloads), caught up: its LISTEN is up
   * (the first one's arrival resets what it trusts) and a first row of `key`
   * (number 0) is published and marked, so its first claim is over.
   */
  async function startCaughtUpRelay(registry: Registry, key: string) {
    const [{ startedAt }] = await bed.sql<[{ startedAt: Date }]>`select now() as "startedAt"`;
    const relay = startOutboxRelay({ databaseUrl: bed.db.url, js: bed.js(), logger, registry, pollIntervalMs: 600_000, lockName: `notified-${randomUUID()}` });
    await until("the relay's LISTEN", async () => {
      const listens = await bed.sql`
        select 1 from pg_stat_activity where datname = current_database() and query ilike 'listen%' and backend_start >= ${startedAt}`;
      return listens.length > 0;
    });
    await insert(key, 0);
    await until("the first row", async () => relay.isLeader() && (await unsent()) === 0);
    return { relay, caughtUp: await rounds(registry) };
  }

  const ordersOf = (bodies: string[], key: string) => bodies.filter((b) => b.startsWith(`${key}:`)).map((b) => Number(b.split(":")[1]));

  it("publishes what commits announce without claiming it, in each key's order", async () => {
    const registry = new Registry();
    const { relay, caughtUp } = await startCaughtUpRelay(registry, "fast0");
    try {
      for (let n = 1; n <= 30; n++) await insert(`fast${n % 3}`, n);
      await until("published and marked", async () => (await unsent()) === 0);
      const after = await rounds(registry);
      expect(after.claim).toBe(caughtUp.claim);
      expect(after.notify).toBeGreaterThan(caughtUp.notify);
      const bodies = await streamBodies();
      for (const key of ["fast0", "fast1", "fast2"]) expect(ordersOf(bodies, key)).toEqual([...ordersOf(bodies, key)].sort((a, b) => a - b));
      expect(bodies.filter((b) => b.startsWith("fast")).length).toBe(31);
    } finally {
      await relay.stop();
    }
  });

  it("claims a row too large for its NOTIFY, and the key's later rows wait for it", async () => {
    const registry = new Registry();
    const { relay, caughtUp } = await startCaughtUpRelay(registry, "big");
    try {
      // One after another: each commits before the next starts, so 2 comes before 3 and 4 in every sense.
      for (const [n, size] of [
        [1, 0],
        [2, 9_000],
        [3, 0],
        [4, 0],
      ] as const)
        await insert("big", n, size);
      await until("published and marked", async () => (await unsent()) === 0);
      expect((await rounds(registry)).claim).toBeGreaterThan(caughtUp.claim);
      expect(ordersOf(await streamBodies(), "big")).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await relay.stop();
    }
  });

  it("claims at once when its LISTEN connection comes back, since notifications sent while it was down are lost", async () => {
    const registry = new Registry();
    const { relay, caughtUp } = await startCaughtUpRelay(registry, "cut");
    const listening = () => bed.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
    try {
      await insert("cut", 1);
      await until("the first row", async () => (await unsent()) === 0);
      const [before] = await listening();
      // The second row commits while the LISTEN connection is (most likely) still coming back: its NOTIFY is lost.
      await Promise.all([bed.sql`select pg_terminate_backend(${before!.pid})`, insert("cut", 2)]);
      await until("the LISTEN back", async () => (await listening()).some(({ pid }) => pid !== before!.pid));
      await until("the second row", async () => (await unsent()) === 0);
      expect((await rounds(registry)).claim).toBeGreaterThan(caughtUp.claim);
      await insert("cut", 3);
      await until("the third row", async () => (await unsent()) === 0);
      expect(ordersOf(await streamBodies(), "cut")).toEqual([0, 1, 2, 3]);
    } finally {
      await relay.stop();
    }
  });
});
