import type { JsMsg } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { pumpBatches } from "../../src/consumer/batch-pump.js";
import { createStopSignal } from "../../src/consumer/stop-signal.js";

/** A message as the pump sees it: an id to recognise, keep-alives and naks counted. */
interface FakeMessage {
  id: number;
  naked: boolean;
}
const message = (id: number): FakeMessage & JsMsg => {
  const fake: FakeMessage = { id, naked: false };
  const methods = {
    working() {},
    nak() {
      fake.naked = true;
    },
  };
  return Object.assign(fake, methods) as unknown as FakeMessage & JsMsg;
};
const ids = (batch: JsMsg[]) => batch.map((m) => (m as unknown as FakeMessage).id);

/** A pull consumer's iterator that the test feeds, and ends. */
function feed() {
  const buffered: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const source: AsyncIterable<JsMsg> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (buffered.length > 0) yield buffered.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  return {
    source,
    push(...messages: JsMsg[]) {
      buffered.push(...messages);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

/** A `process` that records each batch and holds it until the test releases it. */
function heldBatches() {
  const batches: { ids: number[]; release: () => void }[] = [];
  const process = (batch: JsMsg[]) => new Promise<void>((release) => batches.push({ ids: ids(batch), release }));
  return { batches, process };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe("pumpBatches", () => {
  it("starts a batch of one at once on a quiet stream", async () => {
    const { source, push, end } = feed();
    const held = heldBatches();
    const pumping = pumpBatches(source, { batchSize: 10, concurrency: 4, stop: createStopSignal(), keepAliveMs: 60_000, process: held.process });
    push(message(1));
    await settle();
    expect(held.batches.map((b) => b.ids)).toEqual([[1]]);
    held.batches[0]!.release();
    end();
    await pumping;
  });

  it("lets what arrives during a batch wait for it and go out together, unless a full batch is queued", async () => {
    const { source, push, end } = feed();
    const held = heldBatches();
    const pumping = pumpBatches(source, { batchSize: 3, concurrency: 4, stop: createStopSignal(), keepAliveMs: 60_000, process: held.process });
    push(message(1));
    await settle();
    push(message(2), message(3));
    await settle();
    expect(held.batches.map((b) => b.ids)).toEqual([[1]]); // two queued, batch size three: they wait

    push(message(4));
    await settle();
    expect(held.batches.map((b) => b.ids)).toEqual([[1], [2, 3, 4]]); // a full batch goes beside the first

    push(message(5), message(6));
    await settle();
    expect(held.batches).toHaveLength(2);
    held.batches[0]!.release();
    await settle();
    expect(held.batches).toHaveLength(2); // one batch still in flight: they keep waiting
    held.batches[1]!.release(); // nothing in flight: what waited goes out, together
    await settle();
    expect(held.batches.map((b) => b.ids)).toEqual([[1], [2, 3, 4], [5, 6]]);

    held.batches[2]!.release();
    end();
    await pumping;
  });

  it("sends what is left when the stream ends, without waiting for a full batch", async () => {
    const { source, push, end } = feed();
    const held = heldBatches();
    const pumping = pumpBatches(source, { batchSize: 10, concurrency: 4, stop: createStopSignal(), keepAliveMs: 60_000, process: held.process });
    push(message(1));
    await settle();
    push(message(2));
    end();
    await settle();
    expect(held.batches.map((b) => b.ids)).toEqual([[1], [2]]);
    for (const batch of held.batches) batch.release();
    await pumping;
  });

  it("on stop, naks what was queued and not started, and waits for the batches in flight", async () => {
    const { source, push, end } = feed();
    const held = heldBatches();
    const stop = createStopSignal();
    const pumping = pumpBatches(source, { batchSize: 10, concurrency: 4, stop, keepAliveMs: 60_000, process: held.process });
    const queuedMessages = [message(2), message(3)];
    push(message(1));
    await settle();
    push(...queuedMessages);
    await settle();
    stop.trigger();
    held.batches[0]!.release();
    end();
    await pumping;
    expect(held.batches.map((b) => b.ids)).toEqual([[1]]);
    expect(queuedMessages.every((m) => (m as unknown as FakeMessage).naked)).toBe(true);
  });
});
