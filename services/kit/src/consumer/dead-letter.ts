import { headers as createHeaders, type MsgHdrs } from "@nats-io/transport-node";
import type { JetStreamClient, JsMsg, PubAck } from "@nats-io/jetstream";

/** Why a message was moved to the dead-letter stream. */
export type DeadLetterReason =
  /** The body is not the protobuf its ce-type names. */
  | "undecodable"
  /** ce-type or ce-id is missing. */
  | "missing-header"
  /** Decoded, but the handler refused it (PermanentEventError). */
  | "invalid-event"
  /** Kept failing until its last allowed delivery. */
  | "max-deliveries";

/** Headers added to a dead letter; the original ones travel beside them unchanged. */
export const DLQ = {
  reason: "dlq-reason",
  error: "dlq-error",
  stream: "dlq-original-stream",
  subject: "dlq-original-subject",
  sequence: "dlq-original-sequence",
  msgId: "dlq-original-msg-id",
  consumer: "dlq-consumer",
  deliveries: "dlq-deliveries",
  failedAt: "dlq-failed-at",
} as const;

const MAX_ERROR_LENGTH = 1_000;

export interface DeadLetterTarget {
  stream: string;
  subjectPrefix: string;
  consumer: string;
}

/**
 * Publishes a copy of `msg` (same body, same headers) to the dead-letter
 * stream, with the reason and where it came from, and waits for JetStream's
 * ack: only then may the caller terminate the original. The message id is
 * the original stream and sequence, so a crash between this publish and the
 * term leaves one dead letter, not two.
 */
export async function publishDeadLetter(js: JetStreamClient, target: DeadLetterTarget, msg: JsMsg, reason: DeadLetterReason, error: string): Promise<PubAck> {
  const h = copyHeaders(msg.headers);
  h.set(DLQ.reason, reason);
  h.set(DLQ.error, oneLine(error).slice(0, MAX_ERROR_LENGTH));
  h.set(DLQ.stream, msg.info.stream);
  h.set(DLQ.subject, msg.subject);
  h.set(DLQ.sequence, String(msg.info.streamSequence));
  const originalId = msg.headers?.get("Nats-Msg-Id");
  if (originalId) h.set(DLQ.msgId, originalId);
  h.set(DLQ.consumer, target.consumer);
  h.set(DLQ.deliveries, String(msg.info.deliveryCount));
  h.set(DLQ.failedAt, new Date().toISOString());
  return js.publish(`${target.subjectPrefix}.${msg.subject}`, msg.data, {
    headers: h,
    msgID: `${msg.info.stream}.${msg.info.streamSequence}`,
  });
}

/** The original headers minus NATS's own (Nats-Msg-Id would collide with the dead letter's). */
function copyHeaders(source: MsgHdrs | undefined): MsgHdrs {
  const h = createHeaders();
  if (!source) return h;
  for (const [key, values] of source) {
    if (/^nats-/i.test(key)) continue;
    for (const value of values) h.append(key, value);
  }
  return h;
}

function oneLine(text: string): string {
  // Header values cannot hold line breaks.
  return text.replace(/[\r\n]+/g, " ").trim() || "(no message)";
}
