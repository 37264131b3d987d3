import type { Logger } from "../logging.js";
import { ATTR, context, inTransactionSpan, trace, type Tracer } from "../observability/spans.js";
import type { ApplyOutcome, DecodedEvent } from "./apply-batch.js";
import type { ConsumerMetrics } from "./consumer-metrics.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import type { HoldResult } from "./database-guard.js";
import type { DeadLetterer } from "./dead-lettering.js";
import type { PendingEvent } from "./event-decoder.js";
import { PermanentEventError } from "./event-route.js";
import type { ProcessSpans } from "./process-spans.js";
import { redeliveryDelayMs } from "./redelivery.js";
import { triageFailure } from "./failure-triage.js";

export interface BatchApplierDeps<Tx> {
  /** One transaction over these events (applyBatch); resolves after COMMIT with each id's outcome. */
  transact: (events: DecodedEvent<Tx>[]) => Promise<Map<string, ApplyOutcome>>;
  /** The database guard: holds the messages while the database is away. */
  holdWhileDown: (msgs: PendingEvent<Tx>["msgs"]) => Promise<HoldResult>;
  deadLetter: DeadLetterer;
  settings: Pick<ConsumerSettings, "maxDeliver" | "backoffMs">;
  metrics: ConsumerMetrics;
  spans: ProcessSpans;
  tracer: Tracer;
  log: Logger;
  /** Runs after a batch commits and before it is acked. */
  onCommitted?: ((eventIds: string[]) => void | Promise<void>) | undefined;
}

export interface BatchApplier<Tx> {
  /** Applies the events and settles every message: acked, naked for redelivery, or dead-lettered. */
  apply(pending: PendingEvent<Tx>[]): Promise<void>;
  /** The newest event this applier applied (not a duplicate), and when it committed. */
  lastApplied(): { eventId: string; at: Date } | undefined;
}

export function createBatchApplier<Tx>(deps: BatchApplierDeps<Tx>): BatchApplier<Tx> {
  let lastApplied: { eventId: string; at: Date } | undefined;

  /**
   * Applies in one transaction. When that fails, an event refused as
   * permanent is set aside and the rest retried together; any other failure
   * is pinned down by applying the events one transaction each.
   */
  async function apply(pending: PendingEvent<Tx>[]): Promise<void> {
    while (pending.length > 0) {
      try {
        const outcomes = await transactInSpan(deps, pending);
        await deps.onCommitted?.([...outcomes.keys()]);
        const applied = acknowledge(deps, pending, outcomes);
        if (applied) lastApplied = applied;
        return;
      } catch (error) {
        const held = await deps.holdWhileDown(pending.flatMap((p) => p.msgs));
        if (held === "recovered") continue;
        if (held === "handed-back") return handBack(deps, pending, error);
        const step = triageFailure(pending, error);
        if (step.kind === "fail") return retryOrDeadLetter(deps, step.pending, step.cause);
        if (step.kind === "set-aside") {
          await retryOrDeadLetter(deps, step.pending, step.cause);
          pending = pending.filter((p) => p !== step.pending);
          continue;
        }
        for (const p of pending) await apply([p]);
        return;
      }
    }
  }

  return { apply, lastApplied: () => lastApplied };
}

/** A batch carries events of many traces: its transaction is a child of the first event's process span and links the others. */
function transactInSpan<Tx>(deps: BatchApplierDeps<Tx>, pending: PendingEvent<Tx>[]): Promise<Map<string, ApplyOutcome>> {
  const [first, ...others] = deps.spans.of(pending.flatMap((p) => p.msgs));
  return inTransactionSpan(
    deps.tracer,
    "apply_batch",
    (span) => {
      span.setAttribute(ATTR.messagingBatchCount, pending.length);
      return deps.transact(pending.map((p) => p.event));
    },
    { parent: first ? trace.setSpan(context.active(), first) : context.active(), links: others.map((s) => ({ context: s.spanContext() })) },
  );
}

/** Acks every message of a committed batch; returns the newest event applied (not a duplicate), if any. */
function acknowledge<Tx>(
  deps: BatchApplierDeps<Tx>,
  pending: PendingEvent<Tx>[],
  outcomes: Map<string, ApplyOutcome>,
): { eventId: string; at: Date } | undefined {
  let applied: { eventId: string; at: Date } | undefined;
  for (const p of pending) {
    const outcome = outcomes.get(p.event.meta.id) ?? "applied";
    for (const msg of p.msgs) {
      msg.ack();
      deps.spans.end(msg, outcome);
    }
    if (outcome === "applied") applied = { eventId: p.event.meta.id, at: new Date() };
  }
  for (const outcome of outcomes.values()) deps.metrics.count(outcome);
  if (deps.log.isLevelEnabled("debug")) {
    for (const { event } of pending)
      deps.log.debug({ eventId: event.meta.id, type: event.meta.type, traceId: event.meta.traceId, outcome: outcomes.get(event.meta.id) }, "event applied");
  }
  return applied;
}

/** Stopping while the database was away: the guard naked the messages; close their spans. */
function handBack<Tx>(deps: BatchApplierDeps<Tx>, pending: PendingEvent<Tx>[], error: unknown): void {
  for (const p of pending) {
    for (const msg of p.msgs)
      deps.spans.end(msg, "retry", error, { name: "retry", attributes: { "acme.retry.cause": "database unavailable; handed back for redelivery" } });
  }
}

/** One event failed: dead-letter it if it is wrong or out of deliveries, else nak it with the backoff delay. */
async function retryOrDeadLetter<Tx>(deps: BatchApplierDeps<Tx>, p: PendingEvent<Tx>, error: unknown): Promise<void> {
  const { meta } = p.event;
  const { maxDeliver } = deps.settings;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof PermanentEventError) return deps.deadLetter(p.msgs, "invalid-event", message);
  if (meta.deliveryCount >= maxDeliver) return deps.deadLetter(p.msgs, "max-deliveries", message);
  const delayMs = redeliveryDelayMs(deps.settings.backoffMs, meta.deliveryCount);
  deps.spans.withSpanOf(p.msgs[0], () =>
    deps.log.warn(
      { err: error, eventId: meta.id, type: meta.type, traceId: meta.traceId, deliveryCount: meta.deliveryCount, delayMs },
      `event failed; redelivery ${meta.deliveryCount + 1} of ${maxDeliver} in ${delayMs} ms`,
    ),
  );
  for (const msg of p.msgs) {
    msg.nak(delayMs);
    deps.spans.end(msg, "retry", error, {
      name: "retry",
      attributes: { "messaging.delivery.count": meta.deliveryCount, "acme.retry.delay_ms": delayMs, "acme.retry.max_deliver": maxDeliver },
    });
  }
  deps.metrics.count("retried");
}
