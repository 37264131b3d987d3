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
}

const memory = (service: string): Figure[] => [
  { id: `P8.${service}.idle`, name: `${service} resident memory, idle after 30 s (MB / 80 MB)`, unit: "MB", script: "memory", target_max: 1 },
  { id: `P8.${service}.peak`, name: `${service} resident memory, peak under load (MB / 150 MB)`, unit: "MB", script: "memory", target_max: 1 },
];

export const FIGURES: Figure[] = [
  { id: "P1", name: "Register rps / raw argon2id hashes/s", unit: "ops/s", script: "register-throughput", target_min: 0.85 },
  { id: "P2", name: "Relay drain / raw nats.js async publish (worst round)", unit: "msg/s", script: "relay-drain", target_min: 0.5 },
  { id: "P3", name: "Consumer apply / the same batched transaction by hand", unit: "events/s", script: "consumer-apply", target_min: 1 },
  { id: "P4", name: "Whole pipeline (stub hash) / raw SQL of the same transactions", unit: "registrations/s", script: "pipeline", target_min: 0.5 },
  { id: "P5.p50", name: "Commit -> applied p50 / raw JetStream p50", unit: "ms", script: "propagation", target_max: 4 },
  { id: "P5.p99", name: "Commit -> applied p99 / raw JetStream p99", unit: "ms", script: "propagation", target_max: 10 },
  { id: "P6", name: "GetProfile rps / bare connect-node handler", unit: "rps", script: "get-profile", target_min: 0.9 },
  { id: "P6.traced", name: "GetProfile rps, tracing exporting / bare connect-node handler", unit: "rps", script: "get-profile", target_min: 0.85 },
  { id: "P7", name: "Login median latency, unknown email / wrong password", unit: "ms", script: "login-timing", target_min: 0.9, target_max: 1.1 },
  ...["auth", "profile", "billing", "notifications"].flatMap(memory),
  { id: "P9", name: "Recovery after kill -9 of a consumer holding messages (s / 5 s)", unit: "s", script: "recovery", target_max: 1 },
  // Not in the issue's list: notifications' sender pays a claim per batch and a mark per mail on top of what nodemailer does.
  { id: "N1", name: "notifications mails/s through the sink / nodemailer to the same sink alone", unit: "mails/s", script: "mail-send", target_min: 0.8 },
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
