import type { JetStreamManager } from "@nats-io/jetstream";
import type { ConsumerMetrics } from "./consumer-metrics.js";
import type { ConsumerSettings } from "./consumer-settings.js";

/** Reads consumer lag, ack-pending and the dead-letter stream's size from JetStream into the metrics. */
export async function readConsumerStats(
  jsm: JetStreamManager,
  settings: Pick<ConsumerSettings, "stream" | "durable" | "deadLetterStream">,
  metrics: ConsumerMetrics,
): Promise<void> {
  try {
    const info = await jsm.consumers.info(settings.stream, settings.durable);
    metrics.setLag(info.num_pending);
    metrics.setAckPending(info.num_ack_pending);
    const dlq = await jsm.streams.info(settings.deadLetterStream);
    metrics.setDeadLetterStreamSize(dlq.state.messages);
  } catch {
    // Not declared yet, or NATS is away: the run loop logs that.
  }
}
