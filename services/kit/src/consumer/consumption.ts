import { jetstream, type ConsumerMessages, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../logging.js";
import { ensureDeadLetterStream, ensureDurableConsumer, isStreamNotFound } from "./consumer-resources.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import type { StopSignal } from "./stop-signal.js";

/** Declares what the consumer needs (its dead-letter stream, its durable consumer) and starts pulling. */
export async function openConsumption(nc: NatsConnection, jsm: JetStreamManager, settings: ConsumerSettings): Promise<ConsumerMessages> {
  await ensureDeadLetterStream(jsm, settings);
  await ensureDurableConsumer(jsm, settings);
  const consumer = await jetstream(nc).consumers.get(settings.stream, settings.durable);
  // Enough buffered to keep every concurrent batch fed.
  return consumer.consume({ max_messages: Math.max((settings.concurrency + 1) * settings.batchSize, 100) });
}

/** Closes the pull when its durable consumer or stream goes away, so the run loop declares them again. */
export function watchConsumptionStatus(source: ConsumerMessages, log: Logger): void {
  void (async () => {
    for await (const status of source.status()) {
      if (status.type === "consumer_deleted" || status.type === "consumer_not_found" || status.type === "stream_not_found") {
        log.warn({ status }, "durable consumer or stream went away; re-declaring");
        void source.close();
      } else if (status.type === "heartbeats_missed" || status.type === "exceeded_limits") {
        log.warn({ status }, "pull consumer status");
      }
    }
  })().catch(() => {});
}

/** The delay before the next attempt to consume after `attempt` failed ones in a row: 0.5 s doubling up to 10 s. */
export function consumeRetryDelayMs(attempt: number): number {
  return Math.min(500 * 2 ** attempt, 10_000);
}

export interface ConsumptionLoop {
  /** The pull in progress, if any (stop closes it). */
  messages(): ConsumerMessages | undefined;
  consuming(): boolean;
}

/**
 * Opens the pull and hands it to `drain` until stopped; when it fails or
 * ends (NATS away, stream not declared yet, consumer deleted) it tries again
 * with backoff.
 */
export function createConsumptionLoop(deps: { nc: NatsConnection; settings: ConsumerSettings; stop: StopSignal; log: Logger }) {
  const { settings, stop, log } = deps;
  let messages: ConsumerMessages | undefined;
  let consuming = false;

  async function run(jsm: JetStreamManager, drain: (source: ConsumerMessages) => Promise<void>): Promise<void> {
    for (let attempt = 0; !stop.stopped; attempt++) {
      try {
        messages = await openConsumption(deps.nc, jsm, settings);
        if (stop.stopped) {
          await messages.close();
          break;
        }
        watchConsumptionStatus(messages, log);
        consuming = true;
        attempt = 0;
        log.info(`consuming ${settings.subjectPrefix}.> from ${settings.stream} as durable "${settings.durable}"`);
        await drain(messages);
      } catch (error) {
        if (stop.stopped) break;
        await waitBeforeRetry(error, consumeRetryDelayMs(attempt));
      } finally {
        consuming = false;
      }
    }
  }

  async function waitBeforeRetry(error: unknown, delayMs: number): Promise<void> {
    if (isStreamNotFound(error)) log.warn(`stream ${settings.stream} does not exist yet (its producer declares it); retrying in ${delayMs} ms`);
    else log.error({ err: error }, `cannot consume from ${settings.stream}; retrying in ${delayMs} ms`);
    await stop.sleep(delayMs);
  }

  const loop: ConsumptionLoop & { run: typeof run } = { run, messages: () => messages, consuming: () => consuming };
  return loop;
}
