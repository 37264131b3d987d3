import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type EventOutcome = "applied" | "duplicate" | "ignored" | "retried" | "dead_lettered";

/** The consumer's Prometheus metrics, registered in the service's registry. */
export function createConsumerMetrics(registry: Registry, consumer: string) {
  const labels = { consumer };
  const { lag, ackPending, deadLetterStreamSize } = consumerGauges(registry);
  const { events, deadLetters, deadLettersDropped } = consumerCounters(registry);
  const { batchSeconds, batchSize } = batchHistograms(registry);
  return {
    setLag: (n: number) => lag.set(labels, n),
    setAckPending: (n: number) => ackPending.set(labels, n),
    setDeadLetterStreamSize: (n: number) => deadLetterStreamSize.set(labels, n),
    count: (outcome: EventOutcome, n = 1) => events.inc({ consumer, outcome }, n),
    deadLettered: (reason: string) => deadLetters.inc({ consumer, reason }),
    deadLettersDropped: (n: number) => deadLettersDropped.inc(labels, n),
    observeBatch: (size: number, seconds: number) => {
      batchSize.observe(labels, size);
      batchSeconds.observe(labels, seconds);
    },
  };
}

function consumerGauges(registry: Registry) {
  const lag = new Gauge({
    name: "event_consumer_lag_messages",
    help: "Messages in the source stream not yet delivered to this durable consumer.",
    labelNames: ["consumer"],
    registers: [registry],
  });
  const ackPending = new Gauge({
    name: "event_consumer_ack_pending_messages",
    help: "Messages delivered to this durable consumer and not yet acknowledged.",
    labelNames: ["consumer"],
    registers: [registry],
  });
  const deadLetterStreamSize = new Gauge({
    name: "event_consumer_dead_letter_stream_messages",
    help: "Messages waiting in the dead-letter stream (list, replay or purge them with the dlq command).",
    labelNames: ["consumer"],
    registers: [registry],
  });
  return { lag, ackPending, deadLetterStreamSize };
}

function consumerCounters(registry: Registry) {
  const events = new Counter({
    name: "event_consumer_events_total",
    help: "Delivered events by outcome.",
    labelNames: ["consumer", "outcome"],
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: "event_consumer_dead_letters_total",
    help: "Messages moved to the dead-letter stream, by reason.",
    labelNames: ["consumer", "reason"],
    registers: [registry],
  });
  const deadLettersDropped = new Counter({
    name: "event_consumer_dead_letters_dropped_total",
    help: "Dead letters the dead-letter stream discarded (oldest first) to stay within its max_bytes/max_msgs when a new one arrived.",
    labelNames: ["consumer"],
    registers: [registry],
  });
  return { events, deadLetters, deadLettersDropped };
}

function batchHistograms(registry: Registry) {
  const batchSeconds = new Histogram({
    name: "event_consumer_batch_duration_seconds",
    help: "Time to apply one batch in one database transaction.",
    labelNames: ["consumer"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: "event_consumer_batch_size",
    help: "Events per batch transaction.",
    labelNames: ["consumer"],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  return { batchSeconds, batchSize };
}

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
