import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import type { OutboxRow } from "../../src/outbox/outbox-rows.js";
import { PublishPipeline } from "../../src/outbox/row-publisher.js";

/** A JetStream stand-in whose acks the test hands out one by one (the real one is in relay-parts.test.ts). */
function heldAcks() {
  const calls: { body: string; ack: () => void; refuse: () => void }[] = [];
  const js = {
    publish(_subject: string, payload: Uint8Array) {
      return new Promise<PubAck>((resolve, reject) => {
        calls.push({
          body: Buffer.from(payload).toString(),
          ack: () => resolve({ seq: calls.length, duplicate: false } as PubAck),
          refuse: () => reject(new Error("no stream")),
        });
      });
    },
  } as unknown as JetStreamClient;
  const answer = async (body: string, how: "ack" | "refuse" = "ack") => {
    calls.find((call) => call.body === body)![how]();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { js, calls, answer, published: () => calls.map((call) => call.body) };
}

let nextId = 1;
const row = (key: string, n: number): OutboxRow => ({
  id: String(nextId++),
  event_id: crypto.randomUUID(),
  subject: "s",
  partition_key: key,
  payload: Buffer.from(`${key}:${n}`),
  headers: {},
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("PublishPipeline", () => {
  it("starts a batch while the last one's acks come back, each key's rows behind the key's earlier ones", async () => {
    const nats = heldAcks();
    const pipeline = new PublishPipeline({ js: nats.js, tracer: trace.getTracer("test"), publishTimeoutMs: 1_000 });
    const first = [row("a", 1), row("b", 1)];
    pipeline.add(first);
    await tick();
    pipeline.add([row("a", 2), row("c", 1)]);
    await tick();
    expect(nats.published()).toEqual(["a:1", "b:1", "c:1"]); // a:2 waits for a:1's ack; c:1 waits for nothing
    expect(pipeline.unfinishedIds).toHaveLength(4);

    const halfAnswered = pipeline.settled(2);
    await nats.answer("a:1");
    expect(nats.published()).toEqual(["a:1", "b:1", "c:1", "a:2"]);
    await nats.answer("b:1");
    await halfAnswered; // two of four answered
    expect(pipeline.takeAcked()).toEqual(first.map((r) => r.id));

    const all = pipeline.settled();
    await nats.answer("c:1");
    await nats.answer("a:2");
    await all;
    expect(pipeline.takeAcked()).toHaveLength(2);
    expect(pipeline.unfinishedIds).toEqual([]);
  });

  it("after a refused row publishes nothing more of its key, in this batch or a later one, and takes no new batch", async () => {
    const nats = heldAcks();
    const pipeline = new PublishPipeline({ js: nats.js, tracer: trace.getTracer("test"), publishTimeoutMs: 1_000 });
    pipeline.add([row("a", 1), row("a", 2), row("b", 1)]);
    await tick();
    pipeline.add([row("a", 3)]);
    await nats.answer("a:1", "refuse");
    await nats.answer("b:1");
    await pipeline.settled();
    expect(nats.published()).toEqual(["a:1", "b:1"]);
    expect(pipeline.hasFailed).toBe(true);
    expect((pipeline.error as Error).message).toBe("no stream");
    expect(pipeline.takeAcked()).toHaveLength(1); // b:1
    expect(() => pipeline.add([row("c", 1)])).toThrow(/claim again/);
  });
});
