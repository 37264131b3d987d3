import type { JetStreamClient } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { ATTR, contextFromTraceparent, linkTo, recordFailure, SpanKind, type Span, type Tracer } from "../observability/spans.js";
import type { OutboxRow } from "./outbox-rows.js";

export interface RowPublisherOptions {
  js: JetStreamClient;
  tracer: Tracer;
  publishTimeoutMs: number;
  /** Runs after each JetStream ack, before the row is marked sent (a test seam). */
  onPublished?: ((eventId: string) => void) | undefined;
}

/** The rows JetStream acked, and the first failure if any row was not published. */
export interface PublishResult {
  sent: string[];
  error?: unknown;
}

/**
 * Publishes rows with their event id as Nats-Msg-Id, as they are added.
 * Rows of one partition key go one after another, also across additions
 * (a batch claimed while the previous one's acks come back waits behind it
 * key by key); different keys go concurrently. A failure stops that key's
 * chain so nothing overtakes it, and the pipeline takes no more rows: the
 * unsent ones stay in the outbox for the next claim, in order.
 */
export class PublishPipeline {
  /** Each key's last publish: true when it and every row before it of the key were acked. */
  private readonly chains = new Map<string, Promise<boolean>>();
  private readonly inFlight = new Set<string>();
  private acked: string[] = [];
  private firstError: unknown;
  private failed = false;
  private readonly waiters = new Set<{ atMost: number; resolve: () => void }>();

  constructor(private readonly options: RowPublisherOptions) {}

  /** The first failure, once a row could not be published. */
  get error(): unknown {
    return this.firstError;
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  /** Ids added and not yet handed out by `takeAcked`: the next claim must skip them. */
  get unfinishedIds(): string[] {
    return [...this.inFlight, ...this.acked];
  }

  /** Starts publishing `rows` behind whatever of their keys is still in flight. */
  add(rows: readonly OutboxRow[]): void {
    if (this.failed) throw new Error("publish pipeline: a row failed; claim again");
    for (const row of rows) {
      this.inFlight.add(row.id);
      const previous = this.chains.get(row.partition_key);
      const published = (previous ?? Promise.resolve(true)).then((ok) => (ok ? this.publishOne(row) : false));
      this.chains.set(row.partition_key, published);
      void published.then((ok) => {
        this.inFlight.delete(row.id);
        // A failed chain stays: a later row of its key must never start a fresh one.
        if (ok && this.chains.get(row.partition_key) === published) this.chains.delete(row.partition_key);
        this.wakeWaiters();
      });
    }
  }

  /** The ids JetStream acked since the last call, to be marked sent. */
  takeAcked(): string[] {
    const acked = this.acked;
    this.acked = [];
    return acked;
  }

  /** Resolves once at most `atMost` rows are still waiting for their ack (0: all answered). */
  settled(atMost = 0): Promise<void> {
    if (this.inFlight.size <= atMost) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ atMost, resolve }));
  }

  private async publishOne(row: OutboxRow): Promise<boolean> {
    try {
      await publishRow(row, this.options);
      this.acked.push(row.id);
      return true;
    } catch (error) {
      this.failed = true;
      this.firstError ??= error;
      return false;
    }
  }

  private wakeWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.inFlight.size > waiter.atMost) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

/** Publishes one batch on a pipeline of its own and waits for every answer. */
export async function publishRows(rows: OutboxRow[], options: RowPublisherOptions): Promise<PublishResult> {
  const pipeline = new PublishPipeline(options);
  pipeline.add(rows);
  await pipeline.settled();
  const sent = pipeline.takeAcked();
  return pipeline.hasFailed ? { sent, error: pipeline.error } : { sent };
}

async function publishRow(row: OutboxRow, options: RowPublisherOptions): Promise<void> {
  const hdrs = natsHeaders();
  for (const [key, value] of Object.entries(row.headers)) hdrs.set(key, value);
  const span = startSendSpan(options.tracer, row);
  try {
    const ack = await options.js.publish(row.subject, row.payload, { msgID: row.event_id, headers: hdrs, timeout: options.publishTimeoutMs });
    span.setAttribute("acme.stream.sequence", ack.seq);
    if (ack.duplicate) span.setAttribute("acme.publish.duplicate", true);
    options.onPublished?.(row.event_id);
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The relay runs outside the request: its send span continues the trace of the row's create span and links it. */
function startSendSpan(tracer: Tracer, row: OutboxRow): Span {
  return tracer.startSpan(
    `send ${row.subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [ATTR.messagingSystem]: "nats",
        [ATTR.messagingOperationType]: "send",
        [ATTR.messagingOperationName]: "publish",
        [ATTR.messagingDestination]: row.subject,
        [ATTR.messagingMessageId]: row.event_id,
        [ATTR.eventType]: row.headers["ce-type"] ?? "",
      },
      links: linkTo(row.headers.traceparent),
    },
    contextFromTraceparent(row.headers.traceparent),
  );
}
