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
  const { settings } = deps;
  const stream = settings.deadLetterStream;
  const tracer = deps.tracer ?? trace.getTracer("@acme/kit");
  const jsm = await jetstreamManager(deps.nc, { checkAPI: false });
  const decode = createEventDecoder(deps.routes);

  async function streamState(): Promise<{ first: number; last: number; messages: number } | undefined> {
    try {
      const { state } = await jsm.streams.info(stream);
      return { first: state.first_seq, last: state.last_seq, messages: state.messages };
    } catch {
      return undefined; // never declared: nothing was ever dead-lettered
    }
  }

  async function list(options: { pageSize?: number; from?: number } = {}): Promise<DeadLetterPage> {
    const pageSize = Math.min(Math.max(options.pageSize || DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
    const state = await streamState();
    if (!state || state.messages === 0) return { letters: [], total: 0 };
    const letters: DeadLetterView[] = [];
    let seq = Math.max(options.from ?? state.first, state.first);
    for (; seq <= state.last && letters.length < pageSize; seq++) {
      const msg = await getMessage(jsm, stream, seq);
      if (msg) letters.push(viewOf(msg));
    }
    // More only if a letter exists past the last one read.
    const next = seq <= state.last ? seq : undefined;
    return { letters, total: state.messages, ...(next !== undefined ? { next } : {}) };
  }

  async function get(sequence: number): Promise<DeadLetterDetail | undefined> {
    const msg = await getMessage(jsm, stream, sequence);
    if (!msg) return undefined;
    const decoded = decode(envelopeOf(msg));
    const detail: DeadLetterDetail = { letter: viewOf(msg), body: msg.data };
    if (decoded.kind === "event") detail.payload = toJson(decoded.event.route.schema as DescMessage, decoded.event.event);
    else detail.decodeError = decoded.kind === "dead" ? decoded.error : `this service has no handler for ${decoded.type}`;
    return detail;
  }

  async function replayOne(sequence: number): Promise<ReplayOutcome> {
    const letter = await getMessage(jsm, stream, sequence);
    if (!letter) return { sequence, result: "not-found", detail: `no dead letter ${sequence} in ${stream}` };
    const view = viewOf(letter);
    const refused = (detail: string): ReplayOutcome => ({ sequence, result: "refused", detail, eventId: view.eventId });
    if (view.originalStream !== settings.stream) return refused(`the letter names stream "${view.originalStream}", not ${settings.stream}; nothing was applied`);
    if (!(view.originalSequence > 0)) return refused("the letter records no original stream sequence; nothing was applied");
    let original: StoredMsg | null;
    try {
      original = await getMessage(jsm, settings.stream, view.originalSequence);
    } catch (error) {
      return { sequence, result: "failed", detail: `cannot read the original from ${settings.stream}: ${(error as Error).message}`, eventId: view.eventId };
    }
    if (!original) return refused(`the original (${settings.stream} #${view.originalSequence}) is no longer in the stream; nothing was applied, the letter is kept`);
    const sameEvent =
      original.subject === view.originalSubject &&
      (original.header.get(CE.id) || "") === view.eventId &&
      Buffer.from(original.data).equals(Buffer.from(letter.data));
    if (!sameEvent) return refused(`${settings.stream} #${view.originalSequence} is not the event this letter describes (ce-id, subject or body differ); nothing was applied, the letter is kept`);

    const decoded = decode(envelopeOf(original, view.originalSequence));
    if (decoded.kind !== "event") {
      const why = decoded.kind === "dead" ? decoded.error : `this service has no handler for ${decoded.type}`;
      return { sequence, result: "failed", detail: `cannot apply: ${why} (purge it once understood)`, eventId: view.eventId };
    }
    const { event } = decoded;
    try {
      const outcomes = await inTransactionSpan(tracer, "replay_dead_letter", () => applyBatch(deps.db, settings.inboxTable, [event]));
      await jsm.streams.deleteMessage(stream, sequence);
      const duplicate = outcomes.get(event.meta.id) === "duplicate";
      return {
        sequence,
        result: duplicate ? "already-applied" : "applied",
        detail: `${duplicate ? "already applied before" : "applied"}; removed from ${stream}`,
        eventId: event.meta.id,
      };
    } catch (error) {
      return { sequence, result: "failed", detail: `still fails, kept: ${error instanceof Error ? error.message : String(error)}`, eventId: event.meta.id };
    }
  }

  async function allSequences(): Promise<number[]> {
    const sequences: number[] = [];
    for (let from: number | undefined = 0; from !== undefined; ) {
      const page: DeadLetterPage = await list({ pageSize: MAX_PAGE_SIZE, from });
      sequences.push(...page.letters.map((l) => l.sequence));
      from = page.next;
    }
    return sequences;
  }

  return {
    list,
    get,
    async replay(which) {
      const sequences = which === "all" ? await allSequences() : which;
      const outcomes: ReplayOutcome[] = [];
      for (const sequence of sequences) {
        outcomes.push(
          await inSpan(tracer, "replay dead letter", { attributes: { [ATTR.messagingConsumerGroup]: settings.durable } }, async (span) => {
            const outcome = await replayOne(sequence);
            if (outcome.eventId) span.setAttribute(ATTR.messagingMessageId, outcome.eventId);
            span.setAttribute("acme.replay.result", outcome.result);
            return outcome;
          }),
        );
      }
      return outcomes;
    },
    async purge(which) {
      if (which === "all") {
        if (!(await streamState())) return 0;
        return (await jsm.streams.purge(stream)).purged;
      }
      let purged = 0;
      for (const sequence of which) {
        if (await jsm.streams.deleteMessage(stream, sequence).catch(() => false)) purged++;
      }
      return purged;
    },
  };
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
