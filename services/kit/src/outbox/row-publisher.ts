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
 * Publishes rows with their event id as Nats-Msg-Id. Rows of one partition
 * key go one after another, different keys concurrently; a failure stops
 * that key's chain so nothing overtakes it (later rows of the key wait for
 * the next batch, in order).
 */
export async function publishRows(rows: OutboxRow[], options: RowPublisherOptions): Promise<PublishResult> {
  const sent: string[] = [];
  let firstError: unknown;
  await Promise.all(
    [...chainsByKey(rows).values()].map(async (chain) => {
      for (const row of chain) {
        try {
          await publishRow(row, options);
          sent.push(row.id);
        } catch (error) {
          firstError ??= error;
          return;
        }
      }
    }),
  );
  return firstError === undefined ? { sent } : { sent, error: firstError };
}

/** Rows grouped by partition key, each group in id order. */
export function chainsByKey(rows: OutboxRow[]): Map<string, OutboxRow[]> {
  const chains = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const chain = chains.get(row.partition_key);
    if (chain) chain.push(row);
    else chains.set(row.partition_key, [row]);
  }
  return chains;
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
