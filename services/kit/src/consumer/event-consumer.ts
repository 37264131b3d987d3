import { performance } from "node:perf_hooks";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { Registry } from "prom-client";
import type { Logger } from "../logging.js";
import { ATTR, context, contextFromTraceparent, inTransactionSpan, linkTo, recordFailure, SpanKind, trace, type EventOutcomeAttribute, type Span, type Tracer } from "../observability/spans.js";
import { traceIdOf } from "../tracing.js";
import { applyBatch, BatchFailure, type ConsumerDatabase, type TransactionOf } from "./apply-batch.js";
import { createConsumerMetrics } from "./consumer-metrics.js";
import { ensureDeadLetterStream, ensureDurableConsumer, isStreamNotFound } from "./consumer-resources.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import { createDatabaseGuard } from "./database-guard.js";
import { publishDeadLetter, type DeadLetterReason } from "./dead-letter.js";
import { createEventDecoder, envelopeOf, type PendingEvent } from "./event-decoder.js";
import { PermanentEventError, type EventRoute } from "./event-route.js";
import { pumpBatches } from "./batch-pump.js";
import { createStopSignal } from "./stop-signal.js";

export interface EventConsumerOptions<D extends ConsumerDatabase> {
  /** Connected with the service's own inbox prefix (`_INBOX_<service>`), the only replies its NATS user may read. */
  nc: NatsConnection;
  db: D;
  settings: ConsumerSettings;
  routes: EventRoute<TransactionOf<D>>[];
  logger: Logger;
  /** The service's metrics registry (served at /metrics). */
  registry: Registry;
  /** Runs after a batch commits and before it is acked (tests use it to crash there). */
  onCommitted?: (eventIds: string[]) => void | Promise<void>;
  /** Runs inside a batch's transaction, before COMMIT (tests use it to crash there). */
  beforeCommit?: (eventIds: string[]) => void | Promise<void>;
  /** How often consumer lag and the dead-letter count are read from JetStream. */
  statsIntervalMs?: number;
  /** The service's tracer: a `process` span per event, a span per batch transaction. */
  tracer?: Tracer;
}

export interface EventConsumer {
  /** True while the durable consumer exists and messages are pulled. */
  isConsuming(): boolean;
  /** The newest event this process applied (not a duplicate), and when it committed. */
  lastApplied(): { eventId: string; at: Date } | undefined;
  /** Stops pulling, finishes the batch in hand, hands buffered messages back. */
  stop(): Promise<void>;
}

/**
 * Runs a durable JetStream pull consumer into the service's database (the
 * flow: docs/architecture.md). Messages are applied in batches (one transaction
 * each, see applyBatch) and acked after COMMIT. A failing event is
 * redelivered with backoff; an undecodable one, or one still failing at its
 * last delivery, moves to the dead-letter stream and consumption goes on.
 * While the database does not answer, the batch in hand is held (its ack
 * deadline extended) rather than burning its deliveries.
 */
export function startEventConsumer<D extends ConsumerDatabase>(options: EventConsumerOptions<D>): EventConsumer {
  const { nc, db, settings } = options;
  const log = options.logger.child({ component: "event-consumer", consumer: settings.durable, stream: settings.stream });
  const metrics = createConsumerMetrics(options.registry, settings.durable);
  const js = jetstream(nc);
  const decode = createEventDecoder(options.routes);
  const stop = createStopSignal();
  const database = createDatabaseGuard(db, settings.ackWaitMs, stop, log);
  const deadLetterTarget = { stream: settings.deadLetterStream, subjectPrefix: settings.deadLetterSubjectPrefix, consumer: settings.durable };
  const tracer = options.tracer ?? trace.getTracer("@acme/kit");
  /** Each delivered message's `process` span, ended once its outcome is known. */
  const spans = new WeakMap<JsMsg, Span>();
  let messages: ConsumerMessages | undefined;
  let consuming = false;
  let lastApplied: { eventId: string; at: Date } | undefined;
  let manager: Awaited<ReturnType<typeof jetstreamManager>> | undefined;

  async function run(): Promise<void> {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    manager = jsm;
    const stats = setInterval(() => void readStats(jsm), options.statsIntervalMs ?? 5_000);
    stats.unref();
    for (let attempt = 0; !stop.stopped; attempt++) {
      try {
        await ensureDeadLetterStream(jsm, settings);
        await ensureDurableConsumer(jsm, settings);
        const consumer = await js.consumers.get(settings.stream, settings.durable);
        // Enough buffered to keep every concurrent batch fed.
        messages = await consumer.consume({ max_messages: Math.max((settings.concurrency + 1) * settings.batchSize, 100) });
        if (stop.stopped) {
          await messages.close();
          break;
        }
        watchStatus(messages);
        consuming = true;
        attempt = 0;
        log.info(`consuming ${settings.subjectPrefix}.> from ${settings.stream} as durable "${settings.durable}"`);
        await drain(messages);
      } catch (error) {
        if (stop.stopped) break;
        const delayMs = Math.min(500 * 2 ** attempt, 10_000);
        if (isStreamNotFound(error)) {
          log.warn(`stream ${settings.stream} does not exist yet (its producer declares it); retrying in ${delayMs} ms`);
        } else {
          log.error({ err: error }, `cannot consume from ${settings.stream}; retrying in ${delayMs} ms`);
        }
        await stop.sleep(delayMs);
      } finally {
        consuming = false;
      }
    }
    clearInterval(stats);
  }

  function drain(source: ConsumerMessages): Promise<void> {
    return pumpBatches(source, {
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      stop,
      keepAliveMs: database.keepAliveMs,
      // While a batch waits for the database, what queued up behind it must not time out either.
      keepQueuedAlive: database.isDown,
      process: (batch) =>
        processBatch(batch).catch((error: unknown) => log.error({ err: error }, "batch failed unexpectedly; its messages will be redelivered")),
    });
  }

  function watchStatus(source: ConsumerMessages): void {
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

  async function processBatch(msgs: JsMsg[]): Promise<void> {
    const started = performance.now();
    const pending: PendingEvent<TransactionOf<D>>[] = [];
    const byId = new Map<string, PendingEvent<TransactionOf<D>>>();
    for (const msg of msgs) {
      metrics.setLag(msg.info.pending);
      const decoded = decode(envelopeOf(msg));
      if (decoded.kind !== "ignore") startProcessSpan(msg);
      if (decoded.kind === "ignore") {
        log.debug({ type: decoded.type, subject: msg.subject }, "no handler for this event type; acked without effect");
        msg.ack();
        metrics.count("ignored");
      } else if (decoded.kind === "dead") {
        await deadLetter([msg], decoded.reason, decoded.error);
      } else if (decoded.event.meta.deliveryCount > settings.maxDeliver) {
        // Its last allowed delivery got no answer: the consumer died or stopped while handling it.
        const deliveries = decoded.event.meta.deliveryCount - 1;
        await deadLetter([msg], "max-deliveries", `no outcome after ${deliveries} deliveries (the consumer stopped while handling it)`);
      } else {
        const same = byId.get(decoded.event.meta.id);
        if (same) same.msgs.push(msg);
        else {
          const p = { event: decoded.event, msgs: [msg] };
          byId.set(decoded.event.meta.id, p);
          pending.push(p);
        }
      }
    }
    await apply(pending);
    metrics.observeBatch(msgs.length, (performance.now() - started) / 1_000);
  }

  /**
   * Applies in one transaction. When that fails, an event refused as
   * permanent is set aside and the rest retried together; any other failure
   * is pinned down by applying the events one transaction each, so a
   * neighbour's fault never costs an event one of its deliveries.
   */
  async function apply(pending: PendingEvent<TransactionOf<D>>[]): Promise<void> {
    while (pending.length > 0) {
      try {
        const processSpans = pending.flatMap((p) => p.msgs.map((m) => spans.get(m))).filter((s): s is Span => s !== undefined);
        const [first, ...others] = processSpans;
        // A batch carries events of many traces: its transaction is a child of the first event's process span and links the others.
        const outcomes = await inTransactionSpan(
          tracer,
          "apply_batch",
          (span) => {
            span.setAttribute(ATTR.messagingBatchCount, pending.length);
            return applyBatch(db, settings.inboxTable, pending.map((p) => p.event), options.beforeCommit);
          },
          { parent: first ? trace.setSpan(context.active(), first) : context.active(), links: others.map((s) => ({ context: s.spanContext() })) },
        );
        await options.onCommitted?.([...outcomes.keys()]);
        for (const p of pending) {
          const outcome = outcomes.get(p.event.meta.id) ?? "applied";
          for (const msg of p.msgs) {
            msg.ack();
            endProcessSpan(msg, outcome);
          }
          if (outcome === "applied") lastApplied = { eventId: p.event.meta.id, at: new Date() };
        }
        for (const outcome of outcomes.values()) metrics.count(outcome);
        if (log.isLevelEnabled("debug")) {
          for (const { event } of pending) log.debug({ eventId: event.meta.id, type: event.meta.type, traceId: event.meta.traceId, outcome: outcomes.get(event.meta.id) }, "event applied");
        }
        return;
      } catch (error) {
        const held = await database.holdWhileDown(pending.flatMap((p) => p.msgs));
        if (held === "recovered") continue;
        if (held === "handed-back") {
          for (const p of pending) for (const msg of p.msgs) endProcessSpan(msg, "retry", error, { name: "retry", attributes: { "acme.retry.cause": "database unavailable; handed back for redelivery" } });
          return;
        }
        const cause = error instanceof BatchFailure ? error.cause : error;
        const culprit = error instanceof BatchFailure ? pending.find((p) => p.event.meta.id === error.eventId) : undefined;
        if (pending.length === 1) return fail(pending[0]!, cause);
        if (culprit && cause instanceof PermanentEventError) {
          await fail(culprit, cause);
          pending = pending.filter((p) => p !== culprit);
          continue;
        }
        for (const p of pending) await apply([p]);
        return;
      }
    }
  }

  async function fail(p: PendingEvent<TransactionOf<D>>, error: unknown): Promise<void> {
    const { meta } = p.event;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof PermanentEventError) return deadLetter(p.msgs, "invalid-event", message);
    if (meta.deliveryCount >= settings.maxDeliver) return deadLetter(p.msgs, "max-deliveries", message);
    const delayMs = backoff(meta.deliveryCount);
    withSpanOf(p.msgs[0], () =>
      log.warn({ err: error, eventId: meta.id, type: meta.type, traceId: meta.traceId, deliveryCount: meta.deliveryCount, delayMs }, `event failed; redelivery ${meta.deliveryCount + 1} of ${settings.maxDeliver} in ${delayMs} ms`),
    );
    for (const msg of p.msgs) {
      msg.nak(delayMs);
      endProcessSpan(msg, "retry", error, { name: "retry", attributes: { "messaging.delivery.count": meta.deliveryCount, "acme.retry.delay_ms": delayMs, "acme.retry.max_deliver": settings.maxDeliver } });
    }
    metrics.count("retried");
  }

  async function deadLetter(msgs: JsMsg[], reason: DeadLetterReason, error: string): Promise<void> {
    for (const msg of msgs) {
      const where = {
        subject: msg.subject,
        streamSequence: msg.info.streamSequence,
        eventId: msg.headers?.get("ce-id"),
        traceId: traceIdOf(msg.headers?.get("traceparent")),
        reason,
        error,
      };
      const failure = new Error(error);
      failure.name = reason;
      try {
        const before = await letterCount();
        const ack = await publishDeadLetter(js, deadLetterTarget, msg, reason, error);
        // No reason text: nats-server 2.9 only knows a bare "+TERM" and would ignore "+TERM <reason>".
        msg.term();
        metrics.deadLettered(reason);
        metrics.count("dead_lettered");
        withSpanOf(msg, () => log.error(where, `event moved to dead-letter stream ${settings.deadLetterStream} (${reason}); consumption goes on`));
        endProcessSpan(msg, "dead-lettered", failure, {
          name: "dead_letter",
          attributes: { "acme.dead_letter.reason": reason, "acme.dead_letter.stream": settings.deadLetterStream, "acme.dead_letter.sequence": ack.seq, "messaging.delivery.count": msg.info.deliveryCount },
        });
        // The stream discards its oldest letters past its limits: count what this letter pushed out.
        const after = before === undefined || ack.duplicate ? undefined : await letterCount();
        if (before !== undefined && after !== undefined && before + 1 > after) metrics.deadLettersDropped(before + 1 - after);
      } catch (publishError) {
        withSpanOf(msg, () => log.error({ ...where, err: publishError }, "could not publish the dead letter; the message stays for redelivery"));
        msg.nak(backoff(msg.info.deliveryCount));
        endProcessSpan(msg, "retry", publishError, { name: "retry", attributes: { "messaging.delivery.count": msg.info.deliveryCount, "acme.retry.cause": "dead letter not published" } });
      }
    }
  }

  async function letterCount(): Promise<number | undefined> {
    return manager?.streams.info(settings.deadLetterStream).then((info) => info.state.messages, () => undefined);
  }

  function startProcessSpan(msg: JsMsg): void {
    const traceparent = msg.headers?.get("traceparent");
    const eventId = msg.headers?.get("ce-id") || msg.headers?.get("Nats-Msg-Id") || "";
    const span = tracer.startSpan(
      `process ${msg.subject}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [ATTR.messagingSystem]: "nats",
          [ATTR.messagingOperationType]: "process",
          [ATTR.messagingOperationName]: "process",
          [ATTR.messagingDestination]: msg.subject,
          [ATTR.messagingMessageId]: eventId,
          [ATTR.messagingConsumerGroup]: settings.durable,
          [ATTR.eventType]: msg.headers?.get("ce-type") || "",
          "messaging.delivery.count": msg.info.deliveryCount,
          "acme.stream.sequence": msg.info.streamSequence,
        },
        // Child of the producer's create span (same trace) and linked to it, as the messaging conventions describe.
        links: linkTo(traceparent),
      },
      contextFromTraceparent(traceparent),
    );
    spans.set(msg, span);
  }

  function endProcessSpan(msg: JsMsg, outcome: EventOutcomeAttribute, error?: unknown, event?: { name: string; attributes: Record<string, string | number> }): void {
    const span = spans.get(msg);
    if (!span) return;
    spans.delete(msg);
    span.setAttribute(ATTR.eventOutcome, outcome);
    if (event) span.addEvent(event.name, event.attributes);
    if (error !== undefined) recordFailure(span, error);
    span.end();
  }

  function withSpanOf(msg: JsMsg | undefined, write: () => void): void {
    const span = msg ? spans.get(msg) : undefined;
    if (span) context.with(trace.setSpan(context.active(), span), write);
    else write();
  }

  function backoff(deliveryCount: number): number {
    const list = settings.backoffMs;
    return list[Math.min(deliveryCount - 1, list.length - 1)] ?? 1_000;
  }

  async function readStats(jsm: Awaited<ReturnType<typeof jetstreamManager>>): Promise<void> {
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

  const running = run().catch((error: unknown) => log.error({ err: error }, "event consumer stopped unexpectedly"));
  return {
    isConsuming: () => consuming,
    lastApplied: () => lastApplied,
    async stop() {
      stop.trigger();
      void messages?.close();
      await running;
      // Acks are fire-and-forget: make sure the last batch's reached the server.
      await nc.flush().catch(() => {});
      log.info("event consumer stopped");
    },
  };
}
