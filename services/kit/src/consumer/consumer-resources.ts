import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { ConsumerSettings } from "./consumer-settings.js";

/**
 * The dead-letter stream belongs to the consuming service, which declares it
 * with size and age limits: whoever can make events fail must not be able
 * to fill the disk. Past a limit JetStream discards the oldest letters (the
 * consumer counts those it sees go, event_consumer_dead_letters_dropped_total).
 * A stream declared before with other limits is updated to these.
 */
export async function ensureDeadLetterStream(jsm: JetStreamManager, settings: ConsumerSettings): Promise<void> {
  const limits = {
    max_bytes: settings.deadLetterMaxBytes ?? DEFAULT_DLQ_MAX_BYTES,
    max_age: nanos(settings.deadLetterMaxAgeMs ?? DEFAULT_DLQ_MAX_AGE_MS),
    discard: DiscardPolicy.Old,
  };
  let existing: StreamInfo | undefined;
  try {
    existing = await jsm.streams.info(settings.deadLetterStream);
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
  }
  if (existing) {
    const c = existing.config;
    if (c.max_bytes !== limits.max_bytes || c.max_age !== limits.max_age || c.discard !== limits.discard) {
      await jsm.streams.update(settings.deadLetterStream, { ...c, ...limits });
    }
    return;
  }
  await jsm.streams.add({
    name: settings.deadLetterStream,
    subjects: [`${settings.deadLetterSubjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    duplicate_window: nanos(2 * 60_000),
    ...limits,
  });
}

export const DEFAULT_DLQ_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_DLQ_MAX_AGE_MS = 90 * 86_400_000;

/**
 * Creates the durable pull consumer, or updates it to these settings (the
 * create call is idempotent and changes the updatable fields). Deliver
 * policy `all`: a new consumer starts at the first message the stream holds,
 * so a service deployed late builds its whole table from the history.
 */
export async function ensureDurableConsumer(jsm: JetStreamManager, settings: ConsumerSettings): Promise<void> {
  await jsm.consumers.add(settings.stream, {
    durable_name: settings.durable,
    filter_subject: `${settings.subjectPrefix}.>`,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(settings.ackWaitMs),
    // Unlimited here; the runner enforces settings.maxDeliver itself. With
    // JetStream's own limit, a message whose last allowed delivery died with
    // the process (kill -9, OOM) would be dropped with only an advisory;
    // this way it comes back once more and goes to the dead-letter stream.
    max_deliver: -1,
    max_ack_pending: settings.maxAckPending,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
  });
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}
