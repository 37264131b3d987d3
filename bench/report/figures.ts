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
  /** What was tried against it and what each gained, in brief (bench.md says it when the figure misses). */
  tried: string;
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
    tried:
      "--max-old-space-size=160 (-16 to -27 MB), the OTLP exporter and the password list loaded when first needed, a quiet process's spare heap given back (-14 to -17 MB); not kept: MALLOC_ARENA_MAX=2, --optimize-for-size, --lite-mode, bundling the packages.",
    section: "A quiet process gives its spare heap back (2026-12-02, fourth session)",
  },
  {
    id: `P8.${service}.peak`,
    name: `${service} resident memory, peak under load (MB / 150 MB)`,
    unit: "MB",
    script: "memory",
    target_max: 1,
    bound: "auth: two argon2id hashes of 19 MiB each in flight (its two hashing threads) on top of the idle process.",
    tried: "two hashing threads for auth instead of four (199 → 163 MB); smaller young and old generations (auth 156-170 MB, none under 150).",
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
    tried:
      "auth on the raw side's two hashing threads (two cost nothing against four); a Connect client sending binary Protobuf instead of JSON (no measurable gain).",
    section: "P1: Register against raw argon2id",
  },
  {
    id: "P2",
    name: "Relay drain / raw nats.js async publish (worst round)",
    unit: "msg/s",
    script: "relay-drain",
    target_min: 0.5,
    bound: "PostgreSQL's CPU per drained row (the claim and the mark, 32-37 µs) on top of the same publishes the raw side makes.",
    tried:
      "the ids of a claim and a mark as one bigint[] parameter (PostgreSQL 51-54 → 32-37 µs a row, drain 11.4-11.6k → 13.5-15.0k rows/s); publishing from the NOTIFY payload; dropping the published_at index (3-5 µs a row, not kept); no async traces on the NATS connection (relay 11.7-13.7k → 14.0-15.8k rows/s; the raw side, set the same way, 23-29k → 28-36k/s).",
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
    tried: "one set-based statement per table per batch (INSERT ... SELECT FROM unnest), the key locks and the inbox insert pipelined.",
    section: "P3: consumer apply",
  },
  {
    id: "P4",
    name: "Whole pipeline (stub hash) / raw SQL of the same transactions",
    unit: "registrations/s",
    script: "pipeline",
    target_min: 0.5,
    bound: "the relay and both consumers on two cores beside auth: 0.65-0.79 ms of consumer CPU per event, with batches that fill only under load.",
    tried: "a batch in flight lets the next one fill (0.46 and 0.38 → 0.51 and 0.52 in alternating pairs).",
    section: "P4: the whole pipeline",
  },
  {
    id: "P5.p50",
    name: "Commit -> applied p50 / raw JetStream p50",
    unit: "ms",
    script: "propagation",
    target_max: 4,
    bound: "about 2 ms of auth's WAL flush and the NOTIFY's delivery before the relay publishes; raw JetStream pays neither.",
    tried: "the relay publishes from the NOTIFY payload at once when idle (the claim left the idle path).",
    section: "P5: commit → applied",
  },
  {
    id: "P5.p99",
    name: "Commit -> applied p99 / raw JetStream p99",
    unit: "ms",
    script: "propagation",
    target_max: 10,
    bound: "an event that arrives while a consumer's batch commits waits for that commit.",
    tried: "a batch in flight lets the next one fill (P5.p99 12.2-12.5 → 13.3-18.0 ms for P4's gain).",
    section: "P5: commit → applied",
  },
  {
    id: "P6",
    name: "GetProfile rps / bare connect-node handler",
    unit: "rps",
    script: "get-profile",
    target_min: 0.9,
    bound:
      "the server's one thread is CPU-bound, and the production layers over the bare read (four interceptors, the token check, Drizzle, metrics) cost 16-40% more CPU per call in the profiles taken, spread with no frame of ours above a few percent; the protocol-sniffing listener measured free.",
    tried:
      "8 MB semi-spaces (0.51-0.53 → 0.65-0.78); a verified-token cache; the RPC observer without per-call closures and with trace ids from a random pool; without the observer, error mapping, CORS and context values the service gained about 4% (not a change to make).",
    section: "P6: GetProfile against a bare handler, each in its own process (2026-12-02, third session)",
  },
  {
    id: "P6.traced",
    name: "GetProfile rps, tracing exporting / bare connect-node handler",
    unit: "rps",
    script: "get-profile",
    target_min: 0.85,
    bound: "P6's bound plus a server span per call: its creation, the active context, and the OTLP protobuf export on the same thread.",
    tried: "P6's, and the call's traceparent formatted from the span instead of through the propagator; the OpenTelemetry SDK's span and its export remain.",
    section: "P6.traced: tracing overhead",
  },
  {
    id: "P7",
    name: "Login median latency, unknown email / wrong password",
    unit: "ms",
    script: "login-timing",
    target_min: 0.9,
    target_max: 1.1,
    bound: "both paths pay one argon2id verification (an unknown email verifies against a decoy hash); what differs is noise.",
    tried: "an unknown email verifies against a decoy argon2id hash.",
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
    tried: "in-progress acks while a batch runs, so the ack wait can be short.",
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
    tried: "fillfactor 50 so every claim is a HOT update, and the marks carried by the next claim (0.76 → 0.85).",
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
