/**
 * Every figure `npm run bench` reports (issue P1-P9), the script that
 * measures it and its target. A ratio is measured/baseline, both taken in the
 * same run; `target_min` / `target_max` bound the ratio.
 */
export interface Figure {
  id: string;
  name: string;
  unit: string;
  /** bench/<script>.ts measures it (several figures may share one script). */
  script: string;
  target_min?: number;
  target_max?: number;
  /** What bounds it, as measured (bench.md says it when the figure misses). */
  bound: string;
  /** The section of docs/performance.md with the measurements, what was tried and what it gained. */
  section: string;
}

const memory = (service: string): Figure[] => [
  {
    id: `P8.${service}.idle`,
    name: `${service} resident memory, idle after 30 s (MB / 80 MB)`,
    unit: "MB",
    script: "memory",
    target_max: 1,
    bound:
      "about 54 MB of it is the node binary's own pages (RssFile in /proc/<pid>/status) before any code of ours runs, and the live heap (modules, compiled code) about 25 MB; a quiet service already gives its spare heap back.",
    section: "A quiet process gives its spare heap back (2026-12-02, fourth session)",
  },
  {
    id: `P8.${service}.peak`,
    name: `${service} resident memory, peak under load (MB / 150 MB)`,
    unit: "MB",
    script: "memory",
    target_max: 1,
    bound: "auth: two argon2id hashes of 19 MiB each in flight (its two hashing threads) on top of the idle process.",
    section: "Memory (P8)",
  },
];

export const FIGURES: Figure[] = [
  {
    id: "P1",
    name: "Register rps / raw argon2id hashes/s",
    unit: "ops/s",
    script: "register-throughput",
    target_min: 0.85,
    bound:
      "CPU on two cores: a registration costs its argon2id hash (about 15 ms of CPU) plus about 10 ms more across auth, PostgreSQL, NATS and the load generator; the raw side pays the hash alone. 0.85 would need the rest under about 3 ms.",
    section: "P1: Register against raw argon2id",
  },
  {
    id: "P2",
    name: "Relay drain / raw nats.js async publish (worst round)",
    unit: "msg/s",
    script: "relay-drain",
    target_min: 0.5,
    bound: "PostgreSQL's CPU per drained row (the claim and the mark, 32-37 µs) on top of the same publishes the raw side makes.",
    section: "P2: relay drain",
  },
  {
    id: "P3",
    name: "Consumer apply / the same batched transaction by hand",
    unit: "events/s",
    script: "consumer-apply",
    target_min: 1,
    bound:
      "the same set-based statements as the hand-written batch, plus the inbox, the per-key locks and the acks; the ratio sits within this machine's noise of 1.00.",
    section: "P3: consumer apply",
  },
  {
    id: "P4",
    name: "Whole pipeline (stub hash) / raw SQL of the same transactions",
    unit: "registrations/s",
    script: "pipeline",
    target_min: 0.5,
    bound: "the relay and both consumers on two cores beside auth: 0.65-0.79 ms of consumer CPU per event, with batches that fill only under load.",
    section: "P4: the whole pipeline",
  },
  {
    id: "P5.p50",
    name: "Commit -> applied p50 / raw JetStream p50",
    unit: "ms",
    script: "propagation",
    target_max: 4,
    bound: "about 2 ms of auth's WAL flush and the NOTIFY's delivery before the relay publishes; raw JetStream pays neither.",
    section: "P5: commit → applied",
  },
  {
    id: "P5.p99",
    name: "Commit -> applied p99 / raw JetStream p99",
    unit: "ms",
    script: "propagation",
    target_max: 10,
    bound: "an event that arrives while a consumer's batch commits waits for that commit.",
    section: "P5: commit → applied",
  },
  {
    id: "P6",
    name: "GetProfile rps / bare connect-node handler",
    unit: "rps",
    script: "get-profile",
    target_min: 0.9,
    bound:
      "the server's one thread is CPU-bound, and the production layers over the bare read (listener, four interceptors, the token check, Drizzle, metrics) cost about 40% more CPU per call, spread with no frame of ours above a few percent.",
    section: "P6: GetProfile against a bare handler, each in its own process (2026-12-02, third session)",
  },
  {
    id: "P6.traced",
    name: "GetProfile rps, tracing exporting / bare connect-node handler",
    unit: "rps",
    script: "get-profile",
    target_min: 0.85,
    bound: "P6's bound plus a server span per call: its creation, the active context, and the OTLP protobuf export on the same thread.",
    section: "P6.traced: tracing overhead",
  },
  {
    id: "P7",
    name: "Login median latency, unknown email / wrong password",
    unit: "ms",
    script: "login-timing",
    target_min: 0.9,
    target_max: 1.1,
    bound: "both paths pay one argon2id verification (an unknown email verifies against a dummy hash); what differs is noise.",
    section: "The figures",
  },
  ...["auth", "profile", "billing", "notifications"].flatMap(memory),
  {
    id: "P9",
    name: "Recovery after kill -9 of a consumer holding messages (s / 5 s)",
    unit: "s",
    script: "recovery",
    target_max: 1,
    bound: "the consumer's ack wait, kept short by in-progress acks while a batch runs.",
    section: "The figures",
  },
  // Not in the issue's list: notifications' sender pays a claim per batch and a mark per mail on top of what nodemailer does.
  {
    id: "N1",
    name: "notifications mails/s through the sink / nodemailer to the same sink alone",
    unit: "mails/s",
    script: "mail-send",
    target_min: 0.8,
    bound: "the claims and the marks of sent mails (PostgreSQL commits) on top of what nodemailer does.",
    section: "N1: the mail sender",
  },
];

export function figure(id: string): Figure {
  const found = FIGURES.find((f) => f.id === id);
  if (!found) throw new Error(`no benchmark figure "${id}" (known: ${FIGURES.map((f) => f.id).join(", ")})`);
  return found;
}

/** Figures chosen on the command line: "P3", "P8" (every P8.*), or all when none. */
export function selectFigures(args: string[]): Figure[] {
  if (args.length === 0) return FIGURES;
  const chosen = FIGURES.filter((f) => args.some((a) => f.id === a || f.id.startsWith(`${a}.`)));
  const unknown = args.filter((a) => !FIGURES.some((f) => f.id === a || f.id.startsWith(`${a}.`)));
  if (unknown.length > 0) throw new Error(`unknown benchmark figure(s): ${unknown.join(", ")} (known: ${FIGURES.map((f) => f.id).join(", ")})`);
  return chosen;
}
