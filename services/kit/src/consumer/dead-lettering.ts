import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "../logging.js";
import { traceIdOf } from "../tracing.js";
import type { ConsumerMetrics } from "./consumer-metrics.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import { publishDeadLetter, type DeadLetterReason } from "./dead-letter.js";
import type { ProcessSpans } from "./process-spans.js";
import { redeliveryDelayMs } from "./redelivery.js";

export interface DeadLetteringDeps {
  js: JetStreamClient;
  settings: Pick<ConsumerSettings, "durable" | "deadLetterStream" | "deadLetterSubjectPrefix" | "backoffMs">;
  metrics: ConsumerMetrics;
  spans: ProcessSpans;
  log: Logger;
  /** Letters in the dead-letter stream now, or undefined when that cannot be read. */
  letterCount: () => Promise<number | undefined>;
}

/** Moves messages to the dead-letter stream and terminates them; consumption goes on. */
export type DeadLetterer = (msgs: JsMsg[], reason: DeadLetterReason, error: string) => Promise<void>;

export function createDeadLetterer(deps: DeadLetteringDeps): DeadLetterer {
  return async (msgs, reason, error) => {
    for (const msg of msgs) await deadLetterOne(deps, msg, reason, error);
  };
}

/**
 * Publishes the letter, then terms the message. When the letter cannot be
 * published the message is naked instead: it stays for redelivery, never lost.
 */
async function deadLetterOne(deps: DeadLetteringDeps, msg: JsMsg, reason: DeadLetterReason, error: string): Promise<void> {
  const { js, settings, metrics, spans, log } = deps;
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
    const before = await deps.letterCount();
    const target = { stream: settings.deadLetterStream, subjectPrefix: settings.deadLetterSubjectPrefix, consumer: settings.durable };
    const ack = await publishDeadLetter(js, target, msg, reason, error);
    // No reason text: nats-server 2.9 only knows a bare "+TERM" and would ignore "+TERM <reason>".
    msg.term();
    metrics.deadLettered(reason);
    metrics.count("dead_lettered");
    spans.withSpanOf(msg, () => log.error(where, `event moved to dead-letter stream ${settings.deadLetterStream} (${reason}); consumption goes on`));
    spans.end(msg, "dead-lettered", failure, {
      name: "dead_letter",
      attributes: {
        "acme.dead_letter.reason": reason,
        "acme.dead_letter.stream": settings.deadLetterStream,
        "acme.dead_letter.sequence": ack.seq,
        "messaging.delivery.count": msg.info.deliveryCount,
      },
    });
    // The stream discards its oldest letters past its limits: count what this letter pushed out.
    const after = before === undefined || ack.duplicate ? undefined : await deps.letterCount();
    if (before !== undefined && after !== undefined && before + 1 > after) metrics.deadLettersDropped(before + 1 - after);
  } catch (publishError) {
    spans.withSpanOf(msg, () => log.error({ ...where, err: publishError }, "could not publish the dead letter; the message stays for redelivery"));
    msg.nak(redeliveryDelayMs(settings.backoffMs, msg.info.deliveryCount));
    spans.end(msg, "retry", publishError, {
      name: "retry",
      attributes: { "messaging.delivery.count": msg.info.deliveryCount, "acme.retry.cause": "dead letter not published" },
    });
  }
}
