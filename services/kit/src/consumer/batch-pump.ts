import type { JsMsg } from "@nats-io/jetstream";
import { createWakeUp, type StopSignal } from "./stop-signal.js";

export interface BatchPumpOptions {
  batchSize: number;
  /** Batches processed at once. */
  concurrency: number;
  stop: StopSignal;
  /** How often held messages get a `working()`: well inside the ack wait. */
  keepAliveMs: number;
  /** Must not throw; resolves when the batch is acked, naked or dead-lettered. */
  process: (batch: JsMsg[]) => Promise<void>;
}

/**
 * A pump reads the pull consumer's iterator into a local queue; the applier
 * takes whatever has queued up. With no batch in flight it starts one at
 * once, so a quiet stream gets batches of one (no added latency). While a
 * batch is in flight, a second one starts only with a full batch queued:
 * otherwise what arrives meanwhile waits for the batch in flight to end and
 * goes out together, one transaction instead of one per event (a batch costs
 * about the same CPU whatever its size; P4 in docs/performance.md). A busy
 * stream still gets up to `concurrency` full batches at once, and no batch
 * ever waits for a message that is not coming. The pump pauses when the
 * queue holds `concurrency` batches, which pauses the pulls too (nats.js
 * pulls as its iterator is read). On stop, whatever was not started is naked
 * so another instance gets it at once.
 *
 * The ack wait is short (seconds) so that what a dead instance held comes
 * back quickly; a live instance therefore sends `working()` for every
 * message it holds (queued, or in a batch being applied) until the batch
 * settles it. nats.js makes `working()` a no-op once a message is acked,
 * naked or termed, so a failed message waits out its backoff untouched and
 * is never kept alive by this.
 */
export async function pumpBatches(source: AsyncIterable<JsMsg>, options: BatchPumpOptions): Promise<void> {
  const { stop } = options;
  const queue: JsMsg[] = [];
  const highWater = options.batchSize * options.concurrency;
  const queued = createWakeUp();
  const drained = createWakeUp();
  let pumping = true;
  const pump = (async () => {
    try {
      for await (const msg of source) {
        if (stop.stopped) {
          msg.nak();
          continue;
        }
        queue.push(msg);
        queued.wake();
        while (queue.length >= highWater && !stop.stopped) await drained.wait();
      }
    } finally {
      pumping = false;
      queued.wake();
    }
  })();

  const inFlight = new Set<Promise<void>>();
  const applying = new Set<JsMsg[]>();
  const keepAlive = setInterval(() => {
    for (const msg of queue) msg.working();
    for (const batch of applying) for (const msg of batch) msg.working();
  }, options.keepAliveMs);
  while (pumping || queue.length > 0) {
    if (stop.stopped) {
      for (const msg of queue.splice(0)) msg.nak();
      break;
    }
    if (!worthStarting(queue.length, inFlight.size, pumping, options)) {
      await queued.wait(); // a message queued, or a batch ended
      continue;
    }
    const batch = queue.splice(0, options.batchSize);
    drained.wake();
    applying.add(batch);
    const running: Promise<void> = options.process(batch).finally(() => {
      applying.delete(batch);
      inFlight.delete(running);
      queued.wake();
    });
    inFlight.add(running);
  }
  await Promise.all(inFlight);
  clearInterval(keepAlive);
  drained.wake();
  await pump;
}

/** Start a batch now? A free slot, something queued, and either nothing in flight, a full batch, or the stream ended. */
function worthStarting(queued: number, inFlight: number, pumping: boolean, options: Pick<BatchPumpOptions, "batchSize" | "concurrency">): boolean {
  if (queued === 0 || inFlight >= options.concurrency) return false;
  return inFlight === 0 || queued >= options.batchSize || !pumping;
}
