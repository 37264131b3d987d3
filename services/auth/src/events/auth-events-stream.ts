import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";

export interface AuthEventsStreamOptions {
  name: string;
  subjectPrefix: string;
  replicas: number;
  /** Republishes inside this window are dropped by JetStream (Nats-Msg-Id). */
  duplicateWindowMs?: number;
  /** Limits (-1 or unset: none); reaching one refuses publishes (discard new). */
  maxMsgs?: number;
  maxBytes?: number;
}

/**
 * The producer owns and declares its stream. Limits-based retention keeps
 * history for replay (a new consumer builds its table from it); `discard new`
 * refuses publishes when full rather than silently dropping old events,
 * so the outbox keeps the rows until space frees.
 */
export function authEventsStreamConfig(options: AuthEventsStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: options.name,
    subjects: [`${options.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    num_replicas: options.replicas,
    duplicate_window: (options.duplicateWindowMs ?? 120_000) * 1_000_000, // nanoseconds
    max_age: 0,
    max_msgs: options.maxMsgs ?? -1,
    max_bytes: options.maxBytes ?? -1,
  };
}

/** Creates the stream, or updates it to this config if it exists. */
export async function declareAuthEventsStream(jsm: JetStreamManager, options: AuthEventsStreamOptions): Promise<void> {
  const config = authEventsStreamConfig(options);
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (error) {
    if (!/stream not found/i.test((error as Error).message)) throw error;
    await jsm.streams.add(config);
  }
}
