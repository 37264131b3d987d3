import { performance } from "node:perf_hooks";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { Registry } from "prom-client";
import type { Logger } from "../logging.js";
import { trace, type Tracer } from "../observability/spans.js";
import { applyBatch, type ConsumerDatabase, type TransactionOf } from "./apply-batch.js";
import { createBatchApplier, type BatchApplier } from "./batch-applier.js";
import { pumpBatches } from "./batch-pump.js";
import { createConsumerMetrics, type ConsumerMetrics } from "./consumer-metrics.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import { readConsumerStats } from "./consumer-stats.js";
import { createConsumptionLoop } from "./consumption.js";
import { createDatabaseGuard } from "./database-guard.js";
import { createDeadLetterer, type DeadLetterer } from "./dead-lettering.js";
import { decodeDelivery, PendingEvents } from "./delivery-decoder.js";
import { createEventDecoder, envelopeOf, type Envelope, type Decoded } from "./event-decoder.js";
import type { EventRoute } from "./event-route.js";
import { createProcessSpans, type ProcessSpans } from "./process-spans.js";
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
  const tracer = options.tracer ?? trace.getTracer("@acme/kit");
  const spans = createProcessSpans(tracer, settings.durable);
  const stop = createStopSignal();
  const database = createDatabaseGuard(db, settings.ackWaitMs, stop, log);
  let manager: JetStreamManager | undefined;
  const deadLetter = createDeadLetterer({ js: jetstream(nc), settings, metrics, spans, log, letterCount: () => deadLetterCount(manager, settings) });
  const applier = createBatchApplier<TransactionOf<D>>({
    transact: (events) => applyBatch(db, settings.inboxTable, events, options.beforeCommit),
    holdWhileDown: (msgs) => database.holdWhileDown(msgs),
    deadLetter,
    settings,
    metrics,
    spans,
    tracer,
    log,
    onCommitted: options.onCommitted,
  });
  const processBatch = batchProcessor({
    decode: createEventDecoder(options.routes),
    maxDeliver: settings.maxDeliver,
    applier,
    deadLetter,
    metrics,
    spans,
    log,
  });
  const loop = createConsumptionLoop({ nc, settings, stop, log });
  const drain = (source: ConsumerMessages) =>
    pumpBatches(source, {
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      stop,
      keepAliveMs: database.keepAliveMs,
      process: (batch) =>
        processBatch(batch).catch((error: unknown) => log.error({ err: error }, "batch failed unexpectedly; its messages will be redelivered")),
    });

  const running = consumeInBackground(nc, loop, drain, { settings, metrics, log, statsIntervalMs: options.statsIntervalMs ?? 5_000 }, (jsm) => {
    manager = jsm;
  });
  return {
    isConsuming: () => loop.consuming(),
    lastApplied: () => applier.lastApplied(),
    async stop() {
      stop.trigger();
      void loop.messages()?.close();
      await running;
      // Acks are fire-and-forget: make sure the last batch's reached the server.
      await nc.flush().catch(() => {});
      log.info("event consumer stopped");
    },
  };
}

/** The dead-letter stream's message count, when JetStream has been reached. */
async function deadLetterCount(manager: JetStreamManager | undefined, settings: ConsumerSettings): Promise<number | undefined> {
  return manager?.streams.info(settings.deadLetterStream).then(
    (info) => info.state.messages,
    () => undefined,
  );
}

/** Runs the consumption loop (and the periodic consumer stats) until it stops; never rejects. */
function consumeInBackground(
  nc: NatsConnection,
  loop: ReturnType<typeof createConsumptionLoop>,
  drain: (source: ConsumerMessages) => Promise<void>,
  context: { settings: ConsumerSettings; metrics: ConsumerMetrics; log: Logger; statsIntervalMs: number },
  onManager: (jsm: JetStreamManager) => void,
): Promise<void> {
  const { settings, metrics, log } = context;
  return (async () => {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    onManager(jsm);
    const stats = setInterval(() => void readConsumerStats(jsm, settings, metrics), context.statsIntervalMs);
    stats.unref();
    await loop.run(jsm, drain);
    clearInterval(stats);
  })().catch((error: unknown) => log.error({ err: error }, "event consumer stopped unexpectedly"));
}

interface BatchProcessorDeps<Tx> {
  decode: (envelope: Envelope) => Decoded<Tx>;
  maxDeliver: number;
  applier: BatchApplier<Tx>;
  deadLetter: DeadLetterer;
  metrics: ConsumerMetrics;
  spans: ProcessSpans;
  log: Logger;
}

/**
 * One batch from the pump: decode each message, ack the types this service
 * does not handle, dead-letter the undecodable, apply the rest together.
 */
export function batchProcessor<Tx>(deps: BatchProcessorDeps<Tx>): (msgs: JsMsg[]) => Promise<void> {
  const { metrics, spans, log } = deps;
  return async (msgs) => {
    const started = performance.now();
    const pending = new PendingEvents<Tx>();
    for (const msg of msgs) {
      metrics.setLag(msg.info.pending);
      const decoded = decodeDelivery(deps.decode, envelopeOf(msg), deps.maxDeliver);
      if (decoded.kind === "ignore") {
        log.debug({ type: decoded.type, subject: msg.subject }, "no handler for this event type; acked without effect");
        msg.ack();
        metrics.count("ignored");
        continue;
      }
      spans.start(msg);
      if (decoded.kind === "dead") await deps.deadLetter([msg], decoded.reason, decoded.error);
      else pending.add(decoded.event, msg);
    }
    await deps.applier.apply(pending.list);
    metrics.observeBatch(msgs.length, (performance.now() - started) / 1_000);
  };
}
