import { randomBytes } from "node:crypto";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * W3C Trace Context: continue the caller's trace when it sent a valid
 * `traceparent`, else start one. The value travels RPC -> outbox row ->
 * NATS header -> consumer, so one trace id follows a change end to end.
 */
export function traceparentFor(incoming: string | null | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  const traceId = match && !/^0+$/.test(match[1]!) ? match[1]! : randomBytes(16).toString("hex");
  return `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}
