import { jetstreamManager } from "@nats-io/jetstream";
import { trace } from "@opentelemetry/api";
import postgres from "postgres";
import { beforeEach, describe, expect, it } from "vitest";
import { claimUnsent, pruneSent, SentMarker, type OutboxRow } from "../../src/outbox/outbox-rows.js";
import { RelayLock } from "../../src/outbox/relay-lock.js";
import { chainsByKey, publishRows } from "../../src/outbox/row-publisher.js";
import { outboxTestBed } from "./outbox-test-bed.js";

/** The relay's parts, each on the real PostgreSQL and nats-server: leadership, claim, mark, prune, publish. */
describe("outbox relay parts", () => {
  const bed = outboxTestBed("relay_parts", "");
  const publishing = () => ({ js: bed.js(), tracer: trace.getTracer("test"), publishTimeoutMs: 5_000 });
  const insert = (key: string, n: number, subject?: string) => bed.insert(key, n, subject ? { subject } : {});
  beforeEach(async () => {
    await bed.sql`delete from outbox`;
  });

  const unsentIds = async () => (await bed.sql<{ id: string }[]>`select id from outbox where published_at is null order by id`).map((r) => r.id);

  it("RelayLock: one holder at a time; it re-asserts cheaply, and the lock passes on when released", async () => {
    const a = new RelayLock(() => postgres(bed.db.url, { max: 1, onnotice: () => {} }), "parts-lock", 0);
    const b = new RelayLock(() => postgres(bed.db.url, { max: 1, onnotice: () => {} }), "parts-lock", 0);
    try {
      expect(await a.take()).toBe(true);
      expect(await b.take()).toBe(false);
      expect(await a.stillHeld()).toBe(true);
      await a.release();
      expect(await b.take()).toBe(true);
      expect(await a.stillHeld()).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("claimUnsent reads unsent rows in id order, up to the batch size, skipping ids still being marked", async () => {
    const ids = [await insert("a", 1), await insert("b", 1), await insert("a", 2), await insert("c", 1)];
    await bed.sql`update outbox set published_at = now() where id = ${ids[1]!}`;
    expect((await claimUnsent(bed.sql, 10, [])).map((r) => r.id)).toEqual([ids[0], ids[2], ids[3]]);
    expect((await claimUnsent(bed.sql, 2, [])).map((r) => r.id)).toEqual([ids[0], ids[2]]);
    expect((await claimUnsent(bed.sql, 10, [ids[0]!])).map((r) => r.id)).toEqual([ids[2], ids[3]]);
  });

  it("SentMarker marks rows sent, one UPDATE at a time, and counts them", async () => {
    const ids = [await insert("a", 1), await insert("a", 2), await insert("b", 1)];
    let marked = 0;
    const marker = new SentMarker(bed.sql, (count) => (marked += count));
    await marker.start([ids[0]!, ids[1]!]);
    expect(marker.pendingIds).toEqual([ids[0], ids[1]]);
    await marker.start([ids[2]!]); // waits for the first UPDATE
    await marker.finish();
    expect(marker.pendingIds).toEqual([]);
    expect(await unsentIds()).toEqual([]);
    expect(marked).toBe(3);
  });

  it("pruneSent deletes rows sent before the cutoff and keeps the rest", async () => {
    const [old, recent, unsent] = [await insert("a", 1), await insert("a", 2), await insert("a", 3)];
    await bed.sql`update outbox set published_at = now() - interval '2 hours' where id = ${old}`;
    await bed.sql`update outbox set published_at = now() where id = ${recent}`;
    expect(await pruneSent(bed.sql, new Date(Date.now() - 3_600_000))).toBe(1);
    expect((await bed.sql<{ id: string }[]>`select id from outbox order by id`).map((r) => r.id)).toEqual([recent, unsent]);
  });

  it("publishRows publishes every key's chain; a failure stops only that key's chain, later rows of the key wait", async () => {
    await insert("good", 1);
    await insert("bad", 1, "nowhere.no-stream"); // no stream covers it: JetStream refuses
    await insert("good", 2);
    await insert("bad", 2);
    const rows = await claimUnsent(bed.sql, 10, []);
    expect([...chainsByKey(rows).keys()]).toEqual(["good", "bad"]);
    const { sent, error } = await publishRows(rows, { ...publishing(), publishTimeoutMs: 1_000 });
    const byId = new Map(rows.map((r: OutboxRow) => [r.id, r]));
    expect(sent.map((id) => new TextDecoder().decode(byId.get(id)!.payload))).toEqual(["good:1", "good:2"]);
    expect(error).toBeDefined();
  });

  it("publishRows uses the event id as Nats-Msg-Id: a republished row is a duplicate JetStream drops", async () => {
    await insert("dup", 1);
    const rows = await claimUnsent(bed.sql, 10, []);
    const published: string[] = [];
    const first = await publishRows(rows, { ...publishing(), onPublished: (id) => published.push(id) });
    const before = (await (await jetstreamManager(bed.nc)).streams.info(bed.stream)).state.messages;
    const again = await publishRows(rows, publishing());
    const after = (await (await jetstreamManager(bed.nc)).streams.info(bed.stream)).state.messages;
    expect(first.sent).toEqual([rows[0]!.id]);
    expect(again.sent).toEqual([rows[0]!.id]);
    expect(after).toBe(before);
    expect(published).toEqual([rows[0]!.event_id]);
  });
});
