import { randomFillSync } from "node:crypto";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * W3C Trace Context: continue the caller's trace when it sent a valid
 * `traceparent`, else start one. The value travels RPC -> outbox row ->
 * NATS header -> consumer, so one trace id follows a change end to end.
 */
export function traceparentFor(incoming: string | null | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  const traceId = match && !/^0+$/.test(match[1]!) ? match[1]! : randomHex(16);
  return `00-${traceId}-${randomHex(8)}-01`;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}

// Random bytes drawn 4 KiB at a time. randomBytes() per id cost about 20 us
// each here (OpenSSL makes a getpid() system call per draw to detect a fork),
// more than the rest of an RPC's bookkeeping together.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `bytes` random bytes as lowercase hex, never all zeros (W3C calls an all-zero id invalid). */
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    used = 0;
  }
  const hex = pool.toString("hex", used, used + bytes);
  used += bytes;
  return hex === "0".repeat(2 * bytes) ? randomHex(bytes) : hex;
}
