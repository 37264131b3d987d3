import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";

export interface StoredEvent {
  subject: string;
  seq: number;
  headers: Record<string, string>;
  data: Uint8Array;
}

/** Reads a whole stream (from the first message) with an ordered consumer. */
export async function readStream(url: string, stream: string): Promise<StoredEvent[]> {
  const nc = await connect({ servers: url });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    const total = info.state.messages;
    const events: StoredEvent[] = [];
    if (total === 0) return events;
    const consumer = await jetstream(nc).consumers.get(stream);
    const messages = await consumer.fetch({ max_messages: total, expires: 5_000 });
    for await (const m of messages) {
      const headers: Record<string, string> = {};
      for (const key of m.headers?.keys() ?? []) headers[key.toLowerCase()] = m.headers!.get(key);
      events.push({ subject: m.subject, seq: m.seq, headers, data: m.data });
      if (events.length === total) break;
    }
    return events;
  } finally {
    await nc.close();
  }
}

/** Polls until the stream holds at least `count` messages, or fails after `timeoutMs`. */
export async function waitForStreamCount(url: string, stream: string, count: number, timeoutMs = 20_000): Promise<number> {
  const nc: NatsConnection = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    while (Date.now() < deadline) {
      seen = await jsm.streams.info(stream).then(
        (i) => i.state.messages,
        () => 0,
      );
      if (seen >= count) return seen;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`stream ${stream} holds ${seen} messages, expected ${count} within ${timeoutMs} ms`);
  } finally {
    await nc.close();
  }
}
