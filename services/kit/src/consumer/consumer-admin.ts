import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Tracer } from "@opentelemetry/api";
import type { Sql } from "postgres";
import { ConsumerStatusService, DeadLetterService, ReplayOutcome_Result, type DeadLetterSchema } from "@acme/gen/acme/admin/v1/consumer_admin_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConsumerDatabase, TransactionOf } from "./apply-batch.js";
import type { ConsumerSettings } from "./consumer-settings.js";
import { createDeadLetterOperations, MAX_PAGE_SIZE, type DeadLetterOperations, type DeadLetterView, type ReplayResult } from "./dead-letter-operations.js";
import type { EventRoute } from "./event-route.js";
import type { EventConsumer } from "./event-consumer.js";

export interface ConsumerAdminDeps<D extends ConsumerDatabase> {
  /** The service's NATS connection, once it is up. */
  nats: () => NatsConnection | undefined;
  /** The running consumer, once it is up (for the last applied event). */
  consumer: () => EventConsumer | undefined;
  db: D;
  sql: Sql;
  settings: ConsumerSettings;
  routes: EventRoute<TransactionOf<D>>[];
  tracer: Tracer;
}

export const MAX_LOOKUP_IDS = 500;

const RESULTS: Record<ReplayResult, ReplayOutcome_Result> = {
  applied: ReplayOutcome_Result.APPLIED,
  "already-applied": ReplayOutcome_Result.ALREADY_APPLIED,
  failed: ReplayOutcome_Result.FAILED,
  refused: ReplayOutcome_Result.REFUSED,
  "not-found": ReplayOutcome_Result.NOT_FOUND,
};

/**
 * acme.admin.v1.DeadLetterService and ConsumerStatusService for any service
 * built on kit's consumer (profile, billing), served on the admin port. The
 * dead-letter calls run the same operations as the `dlq` command.
 */
export function consumerAdminRoutes<D extends ConsumerDatabase>(deps: ConsumerAdminDeps<D>) {
  const { settings } = deps;
  let operations: Promise<DeadLetterOperations> | undefined;
  const nats = (): NatsConnection => {
    const nc = deps.nats();
    if (!nc) throw new ConnectError("NATS is not reachable yet; try again shortly", Code.Unavailable);
    return nc;
  };
  const deadLetters = (): Promise<DeadLetterOperations> => {
    operations ??= createDeadLetterOperations({ nc: nats(), db: deps.db, settings, routes: deps.routes, tracer: deps.tracer }).catch((error: unknown) => {
      operations = undefined;
      throw error;
    });
    return operations;
  };
  const sequences = (values: bigint[]): number[] => {
    if (values.length === 0) throw new ConnectError("name the letters to act on (sequences), or set all", Code.InvalidArgument);
    return values.map(Number);
  };

  return (router: ConnectRouter) => {
    router.service(DeadLetterService, deadLetterService(deadLetters, sequences, settings));
    router.service(ConsumerStatusService, consumerStatusService(deps, nats));
  };
}

/** DeadLetterService: list, show, replay and purge, on the operations the `dlq` command runs too. */
function deadLetterService(
  deadLetters: () => Promise<DeadLetterOperations>,
  sequences: (values: bigint[]) => number[],
  settings: ConsumerSettings,
): ServiceImpl<typeof DeadLetterService> {
  return {
    async listDeadLetters(request) {
      const from = request.pageToken ? Number(request.pageToken) : undefined;
      if (from !== undefined && !(Number.isInteger(from) && from > 0))
        throw new ConnectError("page_token is not one this service gave out", Code.InvalidArgument);
      if (request.pageSize > MAX_PAGE_SIZE) throw new ConnectError(`page_size must be at most ${MAX_PAGE_SIZE}`, Code.InvalidArgument);
      const page = await (await deadLetters()).list({ pageSize: request.pageSize, ...(from !== undefined ? { from } : {}) });
      return { deadLetters: page.letters.map(toDeadLetter), nextPageToken: page.next !== undefined ? String(page.next) : "", total: BigInt(page.total) };
    },
    async getDeadLetter(request) {
      const detail = await (await deadLetters()).get(Number(request.sequence));
      if (!detail) throw new ConnectError(`no dead letter ${request.sequence} in ${settings.deadLetterStream}`, Code.NotFound);
      return {
        deadLetter: toDeadLetter(detail.letter),
        payloadJson: detail.payload !== undefined ? JSON.stringify(detail.payload) : "",
        decodeError: detail.decodeError ?? "",
        body: detail.body,
      };
    },
    async replayDeadLetter(request) {
      const outcomes = await (await deadLetters()).replay(request.all ? "all" : sequences(request.sequences));
      return {
        outcomes: outcomes.map((o) => ({ sequence: BigInt(o.sequence), result: RESULTS[o.result], detail: o.detail, eventId: o.eventId ?? "" })),
      };
    },
    async purgeDeadLetters(request) {
      const purged = await (await deadLetters()).purge(request.all ? "all" : sequences(request.sequences));
      return { purged: BigInt(purged) };
    },
  };
}

/** ConsumerStatusService: the durable consumer's position, and whether given events were applied. */
function consumerStatusService<D extends ConsumerDatabase>(deps: ConsumerAdminDeps<D>, nats: () => NatsConnection): ServiceImpl<typeof ConsumerStatusService> {
  const { settings } = deps;
  return {
    async getConsumerStatus() {
      const jsm = await jetstreamManager(nats(), { checkAPI: false });
      const info = await jsm.consumers.info(settings.stream, settings.durable).catch((error: unknown) => {
        throw new ConnectError(`durable consumer "${settings.durable}" on ${settings.stream} cannot be read: ${(error as Error).message}`, Code.Unavailable);
      });
      const dlq = await jsm.streams.info(settings.deadLetterStream).catch(() => undefined);
      const last = deps.consumer()?.lastApplied();
      return {
        stream: settings.stream,
        consumer: settings.durable,
        pending: BigInt(info.num_pending),
        ackPending: BigInt(info.num_ack_pending),
        redelivered: BigInt(info.num_redelivered),
        ackFloorStreamSequence: BigInt(info.ack_floor.stream_seq),
        lastAppliedEventId: last?.eventId ?? "",
        ...(last ? { lastAppliedAt: timestampFromDate(last.at) } : {}),
        deadLetterStream: settings.deadLetterStream,
        deadLetters: BigInt(dlq?.state.messages ?? 0),
      };
    },
    async lookupEvents(request) {
      if (request.eventIds.length > MAX_LOOKUP_IDS) throw new ConnectError(`at most ${MAX_LOOKUP_IDS} event ids a call`, Code.InvalidArgument);
      const ids = [...new Set(request.eventIds)];
      const rows =
        ids.length === 0
          ? []
          : await deps.sql<{ event_id: string; epoch_ms: number }[]>`
            select event_id, (extract(epoch from processed_at) * 1000)::float8 as epoch_ms
            from ${deps.sql(settings.inboxTable)} where event_id = any(${ids}::text[])`;
      const applied = new Map(rows.map((row) => [row.event_id, new Date(row.epoch_ms)]));
      return {
        events: request.eventIds.map((eventId) => {
          const at = applied.get(eventId);
          return { eventId, applied: at !== undefined, ...(at ? { appliedAt: timestampFromDate(at) } : {}) };
        }),
      };
    },
  };
}

function toDeadLetter(l: DeadLetterView): MessageInitShape<typeof DeadLetterSchema> {
  return {
    sequence: BigInt(l.sequence),
    reason: l.reason,
    error: l.error,
    eventType: l.eventType,
    eventId: l.eventId,
    originalStream: l.originalStream,
    originalSubject: l.originalSubject,
    originalSequence: BigInt(l.originalSequence),
    consumer: l.consumer,
    deliveries: l.deliveries,
    ...(l.failedAt ? { failedAt: timestampFromDate(l.failedAt) } : {}),
    headers: l.headers,
  };
}
