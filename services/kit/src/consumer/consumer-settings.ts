import { z } from "zod";

/** Everything the runner needs to know about where events come from and go to. */
export interface ConsumerSettings {
  /** The producer's stream, e.g. AUTH_EVENTS. */
  stream: string;
  /** Subjects consumed: `<subjectPrefix>.>`, e.g. auth.events. */
  subjectPrefix: string;
  /** Durable consumer name, shared by every instance of the service. */
  durable: string;
  /** Dead-letter stream declared by this service, e.g. DLQ_PROFILE. */
  deadLetterStream: string;
  /** Its subjects: `<deadLetterSubjectPrefix>.<original subject>`. */
  deadLetterSubjectPrefix: string;
  /** How long a delivered message may stay unacknowledged before JetStream redelivers it. */
  ackWaitMs: number;
  /** Deliveries before a failing message is dead-lettered. */
  maxDeliver: number;
  /** Delay before the n-th redelivery after a failure (the last value repeats). */
  backoffMs: number[];
  /** Most events applied in one database transaction. */
  batchSize: number;
  /** Batches applied at once, each in its own transaction (and connection). */
  concurrency: number;
  /** Unacknowledged messages JetStream hands out at once, over all instances. */
  maxAckPending: number;
  /** The service's inbox table: one row per applied event id. */
  inboxTable: string;
  /** Dead-letter stream limits; past them the oldest letters are discarded (and counted). */
  deadLetterMaxBytes?: number;
  deadLetterMaxAgeMs?: number;
}

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, '_' and '-' only");
const subjectPrefix = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "dot-separated tokens without wildcards");
const positive = z.coerce.number().int().positive();

/**
 * The consumer's environment variables, with a service's defaults; spread
 * into the service's own zod schema so one parse names every bad variable.
 */
export function consumerEnv(defaults: { durable: string; deadLetterStream: string; deadLetterSubjectPrefix: string }) {
  return {
    CONSUMER_NAME: name.default(defaults.durable),
    /**
     * Short, so what a killed instance held is redelivered within seconds; a
     * live instance keeps what it holds alive with `working()` (batch-pump),
     * so a slow batch is not handed to another instance meanwhile.
     */
    CONSUMER_ACK_WAIT_MS: positive.min(1_000).default(3_000),
    CONSUMER_MAX_DELIVER: positive.min(2).default(5),
    CONSUMER_BACKOFF_MS: z
      .string()
      .regex(/^\d+(,\d+)*$/, "comma-separated milliseconds, e.g. 1000,5000,15000")
      .default("1000,5000,15000,30000")
      .transform((list) => list.split(",").map(Number)),
    CONSUMER_BATCH_SIZE: positive.max(1_000).default(200),
    CONSUMER_CONCURRENCY: positive.max(32).default(4),
    CONSUMER_MAX_ACK_PENDING: positive.default(2_000),
    /** Applied event ids older than this leave the inbox (revisions keep old replays harmless). */
    INBOX_RETENTION_DAYS: positive.default(30),
    DLQ_STREAM: name.default(defaults.deadLetterStream),
    DLQ_SUBJECT_PREFIX: subjectPrefix.default(defaults.deadLetterSubjectPrefix),
    /** The dead-letter stream's size limit; the oldest letters are discarded past it (counted in event_consumer_dead_letters_dropped_total). */
    DLQ_MAX_BYTES: positive.default(256 * 1024 * 1024),
    /** Dead letters older than this are discarded by JetStream. */
    DLQ_MAX_AGE_DAYS: positive.default(90),
  };
}

/** Shape of the parsed consumerEnv() fields. */
export type ConsumerEnv = { [K in keyof ReturnType<typeof consumerEnv>]: z.infer<ReturnType<typeof consumerEnv>[K]> };

export const subjectPrefixSchema = subjectPrefix;
export const streamNameSchema = name;

export function consumerSettings(
  env: Omit<ConsumerEnv, "INBOX_RETENTION_DAYS" | "DLQ_MAX_BYTES" | "DLQ_MAX_AGE_DAYS"> & Partial<Pick<ConsumerEnv, "DLQ_MAX_BYTES" | "DLQ_MAX_AGE_DAYS">>,
  source: { stream: string; subjectPrefix: string },
  inboxTable = "processed_events",
): ConsumerSettings {
  return {
    stream: source.stream,
    subjectPrefix: source.subjectPrefix,
    durable: env.CONSUMER_NAME,
    deadLetterStream: env.DLQ_STREAM,
    deadLetterSubjectPrefix: env.DLQ_SUBJECT_PREFIX,
    ackWaitMs: env.CONSUMER_ACK_WAIT_MS,
    maxDeliver: env.CONSUMER_MAX_DELIVER,
    backoffMs: env.CONSUMER_BACKOFF_MS,
    batchSize: env.CONSUMER_BATCH_SIZE,
    concurrency: env.CONSUMER_CONCURRENCY,
    maxAckPending: env.CONSUMER_MAX_ACK_PENDING,
    inboxTable,
    ...(env.DLQ_MAX_BYTES ? { deadLetterMaxBytes: env.DLQ_MAX_BYTES } : {}),
    ...(env.DLQ_MAX_AGE_DAYS ? { deadLetterMaxAgeMs: env.DLQ_MAX_AGE_DAYS * 86_400_000 } : {}),
  };
}
