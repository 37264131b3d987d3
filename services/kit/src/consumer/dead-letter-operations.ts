import { toJson, type DescMessage } from "@bufbuild/protobuf";
import { jetstreamManager, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { trace, type Tracer } from "@opentelemetry/api";
import { CE } from "../cloudevents.js";
import { inSpan, inTransactionSpan, ATTR } from "../observability/spans.js";
import { applyBatch, type ConsumerDatabase, type TransactionOf } from "./apply-batch.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import { DLQ } from "./dead-letter.js";
import { createEventDecoder, type Envelope } from "./event-decoder.js";
import type { EventRoute } from "./event-route.js";

/** A dead letter as operators see it (the admin RPC and the dlq command alike). */
export interface DeadLetterView {
  /** Its sequence in the dead-letter stream: its id in every operation. */
  sequence: number;
  storedAt: Date;
  reason: string;
  error: string;
  eventType: string;
  eventId: string;
  originalStream: string;
  originalSubject: string;
  originalSequence: number;
  consumer: string;
  deliveries: number;
  failedAt?: Date;
  headers: { name: string; value: string }[];
}

export interface DeadLetterDetail {
  letter: DeadLetterView;
  /** The body decoded by its ce-type, as proto JSON, when it decodes. */
  payload?: unknown;
  decodeError?: string;
  body: Uint8Array;
}

export type ReplayResult = "applied" | "already-applied" | "failed" | "refused" | "not-found";

export interface ReplayOutcome {
  sequence: number;
  result: ReplayResult;
  detail: string;
  eventId?: string;
}

export interface DeadLetterPage {
  letters: DeadLetterView[];
  /** The sequence to start the next page from; undefined when there are no more. */
  next?: number;
  /** Letters the stream holds in all. */
  total: number;
}

export interface DeadLetterOperations {
  list(options?: { pageSize?: number; from?: number }): Promise<DeadLetterPage>;
  get(sequence: number): Promise<DeadLetterDetail | undefined>;
  /** Applies each letter's ORIGINAL event, re-read from the source stream; see replayOne. */
  replay(which: number[] | "all"): Promise<ReplayOutcome[]>;
  /** Deletes letters without applying them; returns how many went. */
  purge(which: number[] | "all"): Promise<number>;
}

export interface DeadLetterOperationsDeps<D extends ConsumerDatabase> {
  nc: NatsConnection;
  db: D;
  settings: ConsumerSettings;
  routes: EventRoute<TransactionOf<D>>[];
  /** Replays get spans when given (the service's tracer). */
  tracer?: Tracer;
}

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

/**
 * The one implementation of what can be done to a consumer's dead letters;
 * the admin RPC (DeadLetterService) and the `dlq` command are two front ends
 * to it.
 *
 * Replay never applies the body stored in the dead letter: whoever can
 * publish to a DLQ_* subject could otherwise inject any event. It re-reads
 * the original message from the producer's stream by the sequence recorded
 * in the letter (`dlq-original-sequence`), checks that it is the same event
 * (ce-id, subject and bytes), and applies that; when the original is gone
 * (stream limits) or differs, the replay is refused and the letter kept.
 */
export async function createDeadLetterOperations<D extends ConsumerDatabase>(deps: DeadLetterOperationsDeps<D>): Promise<DeadLetterOperations> {
  const ctx: Context<D> = {
    deps,
    settings: deps.settings,
    stream: deps.settings.deadLetterStream,
    tracer: deps.tracer ?? trace.getTracer("@acme/kit"),
    jsm: await jetstreamManager(deps.nc, { checkAPI: false }),
    decode: createEventDecoder(deps.routes),
  };
  return {
    list: (options) => list(ctx, options),
    get: (sequence) => get(ctx, sequence),
    async replay(which) {
      const sequences = which === "all" ? await allSequences(ctx) : which;
      const outcomes: ReplayOutcome[] = [];
      for (const sequence of sequences) outcomes.push(await replayInSpan(ctx, sequence));
      return outcomes;
    },
    purge: (which) => purge(ctx, which),
  };
}

interface Context<D extends ConsumerDatabase> {
  deps: DeadLetterOperationsDeps<D>;
  settings: ConsumerSettings;
  /** The dead-letter stream. */
  stream: string;
  tracer: Tracer;
  jsm: JetStreamManager;
  decode: ReturnType<typeof createEventDecoder<TransactionOf<D>>>;
}

async function streamState(ctx: Context<ConsumerDatabase>): Promise<{ first: number; last: number; messages: number } | undefined> {
  try {
    const { state } = await ctx.jsm.streams.info(ctx.stream);
    return { first: state.first_seq, last: state.last_seq, messages: state.messages };
  } catch {
    return undefined; // never declared: nothing was ever dead-lettered
  }
}

async function list(ctx: Context<ConsumerDatabase>, options: { pageSize?: number; from?: number } = {}): Promise<DeadLetterPage> {
  const pageSize = Math.min(Math.max(options.pageSize || DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  const state = await streamState(ctx);
  if (!state || state.messages === 0) return { letters: [], total: 0 };
  const letters: DeadLetterView[] = [];
  let seq = Math.max(options.from ?? state.first, state.first);
  for (; seq <= state.last && letters.length < pageSize; seq++) {
    const msg = await getMessage(ctx.jsm, ctx.stream, seq);
    if (msg) letters.push(viewOf(msg));
  }
  // More only if a letter exists past the last one read.
  const next = seq <= state.last ? seq : undefined;
  return { letters, total: state.messages, ...(next !== undefined ? { next } : {}) };
}

async function get<D extends ConsumerDatabase>(ctx: Context<D>, sequence: number): Promise<DeadLetterDetail | undefined> {
  const msg = await getMessage(ctx.jsm, ctx.stream, sequence);
  if (!msg) return undefined;
  const decoded = ctx.decode(envelopeOf(msg));
  const detail: DeadLetterDetail = { letter: viewOf(msg), body: msg.data };
  if (decoded.kind === "event") detail.payload = toJson(decoded.event.route.schema as DescMessage, decoded.event.event);
  else detail.decodeError = decoded.kind === "dead" ? decoded.error : `this service has no handler for ${decoded.type}`;
  return detail;
}

function replayInSpan<D extends ConsumerDatabase>(ctx: Context<D>, sequence: number): Promise<ReplayOutcome> {
  return inSpan(ctx.tracer, "replay dead letter", { attributes: { [ATTR.messagingConsumerGroup]: ctx.settings.durable } }, async (span) => {
    const outcome = await replayOne(ctx, sequence);
    if (outcome.eventId) span.setAttribute(ATTR.messagingMessageId, outcome.eventId);
    span.setAttribute("acme.replay.result", outcome.result);
    return outcome;
  });
}

async function replayOne<D extends ConsumerDatabase>(ctx: Context<D>, sequence: number): Promise<ReplayOutcome> {
  const letter = await getMessage(ctx.jsm, ctx.stream, sequence);
  if (!letter) return { sequence, result: "not-found", detail: `no dead letter ${sequence} in ${ctx.stream}` };
  const view = viewOf(letter);
  const original = await findOriginal(ctx, sequence, letter, view);
  if ("result" in original) return original;
  return applyOriginal(ctx, sequence, original.msg, view);
}

/** The original message in the producer's stream, when it is still there and is the event the letter describes. */
async function findOriginal(
  ctx: Context<ConsumerDatabase>,
  sequence: number,
  letter: StoredMsg,
  view: DeadLetterView,
): Promise<{ msg: StoredMsg } | ReplayOutcome> {
  const { settings } = ctx;
  const refused = (detail: string): ReplayOutcome => ({ sequence, result: "refused", detail, eventId: view.eventId });
  if (view.originalStream !== settings.stream) return refused(`the letter names stream "${view.originalStream}", not ${settings.stream}; nothing was applied`);
  if (!(view.originalSequence > 0)) return refused("the letter records no original stream sequence; nothing was applied");
  let original: StoredMsg | null;
  try {
    original = await getMessage(ctx.jsm, settings.stream, view.originalSequence);
  } catch (error) {
    return { sequence, result: "failed", detail: `cannot read the original from ${settings.stream}: ${(error as Error).message}`, eventId: view.eventId };
  }
  if (!original)
    return refused(`the original (${settings.stream} #${view.originalSequence}) is no longer in the stream; nothing was applied, the letter is kept`);
  const sameEvent =
    original.subject === view.originalSubject &&
    (original.header.get(CE.id) || "") === view.eventId &&
    Buffer.from(original.data).equals(Buffer.from(letter.data));
  if (!sameEvent)
    return refused(
      `${settings.stream} #${view.originalSequence} is not the event this letter describes (ce-id, subject or body differ); nothing was applied, the letter is kept`,
    );
  return { msg: original };
}

/** Applies the original through the service's handlers; the letter goes once that committed. */
async function applyOriginal<D extends ConsumerDatabase>(ctx: Context<D>, sequence: number, original: StoredMsg, view: DeadLetterView): Promise<ReplayOutcome> {
  const decoded = ctx.decode(envelopeOf(original, view.originalSequence));
  if (decoded.kind !== "event") {
    const why = decoded.kind === "dead" ? decoded.error : `this service has no handler for ${decoded.type}`;
    return { sequence, result: "failed", detail: `cannot apply: ${why} (purge it once understood)`, eventId: view.eventId };
  }
  const { event } = decoded;
  try {
    const outcomes = await inTransactionSpan(ctx.tracer, "replay_dead_letter", () => applyBatch(ctx.deps.db, ctx.settings.inboxTable, [event]));
    await ctx.jsm.streams.deleteMessage(ctx.stream, sequence);
    const duplicate = outcomes.get(event.meta.id) === "duplicate";
    return {
      sequence,
      result: duplicate ? "already-applied" : "applied",
      detail: `${duplicate ? "already applied before" : "applied"}; removed from ${ctx.stream}`,
      eventId: event.meta.id,
    };
  } catch (error) {
    return { sequence, result: "failed", detail: `still fails, kept: ${error instanceof Error ? error.message : String(error)}`, eventId: event.meta.id };
  }
}

async function allSequences(ctx: Context<ConsumerDatabase>): Promise<number[]> {
  const sequences: number[] = [];
  for (let from: number | undefined = 0; from !== undefined; ) {
    const page: DeadLetterPage = await list(ctx, { pageSize: MAX_PAGE_SIZE, from });
    sequences.push(...page.letters.map((l) => l.sequence));
    from = page.next;
  }
  return sequences;
}

async function purge(ctx: Context<ConsumerDatabase>, which: number[] | "all"): Promise<number> {
  if (which === "all") {
    if (!(await streamState(ctx))) return 0;
    return (await ctx.jsm.streams.purge(ctx.stream)).purged;
  }
  let purged = 0;
  for (const sequence of which) {
    if (await ctx.jsm.streams.deleteMessage(ctx.stream, sequence).catch(() => false)) purged++;
  }
  return purged;
}

function viewOf(m: StoredMsg): DeadLetterView {
  const h = (name: string) => m.header.get(name) || "";
  const failedAt = h(DLQ.failedAt) ? new Date(h(DLQ.failedAt)) : undefined;
  const headers: { name: string; value: string }[] = [];
  for (const [name, values] of m.header) for (const value of values) headers.push({ name, value });
  return {
    sequence: m.seq,
    storedAt: m.time,
    reason: h(DLQ.reason),
    error: h(DLQ.error),
    eventType: h(CE.type),
    eventId: h(CE.id),
    originalStream: h(DLQ.stream),
    originalSubject: h(DLQ.subject) || m.subject,
    originalSequence: Number(h(DLQ.sequence)) || 0,
    consumer: h(DLQ.consumer),
    deliveries: Number(h(DLQ.deliveries)) || 0,
    ...(failedAt && !Number.isNaN(failedAt.getTime()) ? { failedAt } : {}),
    headers,
  };
}

/** What the decoder needs of a stored message; a dead letter keeps its original subject in a header. */
function envelopeOf(m: StoredMsg, streamSequence?: number): Envelope {
  return {
    subject: m.header.get(DLQ.subject) || m.subject,
    data: m.data,
    header: (name) => m.header.get(name) || undefined,
    streamSequence: streamSequence ?? (Number(m.header.get(DLQ.sequence)) || 0),
    deliveryCount: 0,
  };
}

async function getMessage(jsm: JetStreamManager, stream: string, seq: number): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(stream, { seq });
  } catch (error) {
    if (/no message found|not found/i.test((error as Error).message)) return null;
    throw error;
  }
}
