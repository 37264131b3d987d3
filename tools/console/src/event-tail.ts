import { create, createRegistry, fromBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerInfo, type JsMsg } from "@nats-io/jetstream";
import { connect, nuid, type NatsConnection } from "@nats-io/transport-node";
import { file_acme_auth_events_v1_events } from "@acme/gen/acme/auth/events/v1/events_pb";
import { ConsumerEventState_Delivery, EventSchema, type Event } from "@acme/gen/acme/console/v1/console_pb";
import type { SystemTarget } from "./config.js";
import { attribute, type SpanRing } from "./span-ring.js";

export const STREAM = "AUTH_EVENTS";
export const DURABLES = ["profile", "billing", "notifications"] as const;
/** Every event type the system defines: a new message in events.proto is decoded without touching the console. */
const registry = createRegistry(file_acme_auth_events_v1_events);

/** The event as it arrived, before consumer state is joined in. */
export interface TailedEvent {
  sequence: number;
  subject: string;
  publishedAtMs: number;
  headers: [string, string][];
  body: Uint8Array;
  id: string;
  type: string;
  traceId: string;
  payloadJson: string;
  note: string;
}

export function decodeEvent(sequence: number, subject: string, publishedAtMs: number, headers: [string, string][], body: Uint8Array): TailedEvent {
  const header = (name: string) => headers.find(([k]) => k.toLowerCase() === name)?.[1] ?? "";
  const type = header("ce-type");
  const schema = registry.getMessage(type) as DescMessage | undefined;
  let payloadJson = "";
  let note = "";
  if (!type) note = "no ce-type header: shown raw";
  else if (!schema) note = `type ${type} is not in this console's registry (a newer event?): shown raw`;
  else {
    try {
      payloadJson = toJsonString(schema, fromBinary(schema, body), { prettySpaces: 2 });
    } catch (error) {
      note = `the bytes are not a valid ${type}: ${(error as Error).message}; shown raw`;
    }
  }
  const traceparent = header("traceparent");
  return { sequence, subject, publishedAtMs, headers, body, id: header("ce-id"), type, traceId: traceparent.split("-")[1] ?? "", payloadJson, note };
}

/**
 * Tails AUTH_EVENTS as the read-only `console` NATS user, through an ordered
 * ephemeral consumer of its own, keeping the most recent events; and reads the
 * durable consumers' info, to say per event whether each consumer has it yet.
 * Reconnects and starts over where it was when NATS comes back.
 */
export class EventTail {
  private readonly events = new Map<number, TailedEvent>();
  private nc: NatsConnection | undefined;
  private lastSequence = 0;
  consumers = new Map<string, ConsumerInfo>();
  deadLetters = new Map<string, number>();
  stream: { messages: number; bytes: number; firstSequence: number; lastSequence: number } | undefined;
  problem = "";
  version = 0;
  private stopped = false;

  constructor(
    private readonly system: () => SystemTarget,
    private readonly spans: SpanRing,
    private readonly keep = 1_000,
  ) {}

  start(): void {
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.nc?.close().catch(() => {});
  }

  /** Events from a sequence (or the last `last`), oldest first. */
  since(fromSequence: number, last: number): TailedEvent[] {
    const all = [...this.events.values()];
    return fromSequence > 0 ? all.filter((e) => e.sequence >= fromSequence) : all.slice(-last);
  }

  publishedAt(sequence: number): number | undefined {
    return this.events.get(sequence)?.publishedAtMs;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.follow();
      } catch (error) {
        this.problem = `NATS at ${this.system().natsUrl}: ${(error as Error).message}`;
      }
      await this.nc?.close().catch(() => {});
      this.nc = undefined;
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }

  private async follow(): Promise<void> {
    const system = this.system();
    this.nc = await connect({
      servers: system.natsUrl,
      name: "console",
      inboxPrefix: "_INBOX_console",
      ...(system.natsUser ? { user: system.natsUser, pass: system.natsPassword ?? "" } : {}),
      maxReconnectAttempts: 0,
    });
    const nc = this.nc;
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const info = await jsm.streams.info(STREAM);
    const start = this.lastSequence ? this.lastSequence + 1 : Math.max(info.state.first_seq, info.state.last_seq - this.keep + 1, 1);
    const consumer = await jetstream(nc, { checkAPI: false }).consumers.get(STREAM, {
      name_prefix: `console_${nuid.next()}`,
      filter_subjects: "auth.events.>",
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    this.problem = "";
    const poll = setInterval(() => void this.readInfo(jsm).catch((error: Error) => (this.problem = `NATS: ${error.message}`)), 1_000);
    await this.readInfo(jsm);
    try {
      const messages = await consumer.consume();
      const closed = nc.closed().then((error) => {
        messages.stop();
        if (error) throw error;
        throw new Error("connection closed");
      });
      const reading = (async () => {
        for await (const m of messages) this.take(m);
      })();
      await Promise.race([closed, reading]);
    } finally {
      clearInterval(poll);
    }
  }

  private take(m: JsMsg): void {
    const headers: [string, string][] = [];
    for (const [name, values] of m.headers ?? []) for (const value of values) headers.push([name, value]);
    const event = decodeEvent(m.seq, m.subject, Math.floor(Number(m.info.timestampNanos) / 1e6), headers, m.data);
    this.events.set(m.seq, event);
    this.lastSequence = m.seq;
    if (this.events.size > this.keep) this.events.delete(this.events.keys().next().value!);
    this.version++;
  }

  private async readInfo(jsm: Awaited<ReturnType<typeof jetstreamManager>>): Promise<void> {
    const info = await jsm.streams.info(STREAM);
    this.stream = { messages: info.state.messages, bytes: info.state.bytes, firstSequence: info.state.first_seq, lastSequence: info.state.last_seq };
    for (const durable of DURABLES) {
      try {
        this.consumers.set(durable, await jsm.consumers.info(STREAM, durable));
      } catch {
        this.consumers.delete(durable);
      }
      try {
        this.deadLetters.set(durable, (await jsm.streams.info(`DLQ_${durable.toUpperCase()}`)).state.messages);
      } catch {
        this.deadLetters.delete(durable);
      }
    }
    this.version++;
  }

  /** The event with what each durable consumer has done with it so far. */
  withConsumers(event: TailedEvent): Event {
    const spans = event.id ? this.spans.forEvent(event.id) : [];
    return create(EventSchema, {
      sequence: BigInt(event.sequence),
      subject: event.subject,
      publishedAt: timestampFromMs(event.publishedAtMs),
      id: event.id,
      type: event.type,
      headers: event.headers.map(([name, value]) => ({ name, value })),
      payloadJson: event.payloadJson,
      note: event.note,
      body: event.body,
      traceId: event.traceId,
      consumers: DURABLES.map((durable) => {
        const info = this.consumers.get(durable);
        const mine = spans
          .filter((s) => attribute(s, "messaging.consumer.group.name") === durable && attribute(s, "acme.event.outcome"))
          .sort((a, b) => (BigInt(a.end) < BigInt(b.end) ? -1 : 1));
        const last = mine.at(-1);
        const delivery = !info
          ? ConsumerEventState_Delivery.UNSPECIFIED
          : event.sequence <= info.ack_floor.stream_seq
            ? ConsumerEventState_Delivery.ACKED
            : event.sequence <= info.delivered.stream_seq
              ? ConsumerEventState_Delivery.DELIVERED
              : ConsumerEventState_Delivery.PENDING;
        return {
          consumer: durable,
          delivery,
          outcome: last ? attribute(last, "acme.event.outcome")! : "",
          deliveries: mine.length,
          traceId: last?.traceId ?? "",
        };
      }),
    });
  }
}
