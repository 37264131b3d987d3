import type { Violation } from "../../tools/checks/architecture.js";
import { failedInteractions } from "../providers/verification-report.js";
import type { VerificationResult } from "../providers/verify-auth.js";
import { CONSUMERS, type Consumer } from "../src/auth-events.js";

export const SERVICES = ["auth", "profile", "billing", "notifications"] as const;
export type Service = (typeof SERVICES)[number];

export interface GateFindings {
  /** buf breaking against main: `path:line:col: RULE message` lines; a note when it could not compare. */
  buf: { ok: boolean; findings: string[]; note?: string };
  /** dependency-cruiser: rule violations, and problems with the cruise itself (nothing cruised, ...). */
  architecture: { violations: Violation[]; problems: string[] };
  /** Each consumer's pact tests (real handlers) pass and the committed pact is what they produce. */
  consumerPacts: Record<Consumer, { ok: boolean; problems: string[] }>;
  /** Auth verified against the committed pacts. */
  verification: VerificationResult;
  /** The broker's can-i-deploy, when there is a broker. */
  broker?: Record<Service, { ok: boolean; answer: string }>;
}

export interface Verdict {
  service: Service | "repository";
  ok: boolean;
  line: string;
}

/** The service a path belongs to: services/<name>/... or a proto package acme/<name>/...; kit counts for all. */
export function ownerOf(path: string): Service | "kit" | undefined {
  const match = /(?:^|\/)services\/([^/]+)\//.exec(path) ?? /(?:^|\/)acme\/([^/]+)\//.exec(path);
  const name = match?.[1];
  if (name === "kit") return "kit";
  return (SERVICES as readonly string[]).includes(name ?? "") ? (name as Service) : undefined;
}

interface Part {
  ok: boolean;
  text: string;
}

function bufPart(f: GateFindings, service: Service): Part {
  if (f.buf.ok) return { ok: true, text: f.buf.note ? "buf breaking skipped (no main branch to compare with)" : "protos compatible with main" };
  // A finding in acme/<service>/ is that service's; one in no service's package (a compile error, say) is everyone's.
  const relevant = f.buf.findings.filter((line) => [service, undefined].includes(ownerOf(line) as Service | undefined));
  if (relevant.length === 0 && f.buf.findings.length > 0) return { ok: true, text: "protos compatible with main" };
  return { ok: false, text: `buf breaking: ${relevant.join("; ") || "failed"}` };
}

function architecturePart(f: GateFindings, service: Service): Part {
  const mine = f.architecture.violations.filter((v) => [service, "kit"].includes(ownerOf(v.from) ?? ""));
  const problems = [...f.architecture.problems, ...mine.map((v) => `${v.rule}: ${v.from} → ${v.to}`)];
  return problems.length === 0 ? { ok: true, text: "architecture clean" } : { ok: false, text: `architecture: ${problems.join("; ")}` };
}

function describeFailures(result: VerificationResult, consumer: Consumer): string {
  return failedInteractions(result, consumer)
    .map((i) => `${i.description}: ${i.mismatches.join(", ") || "failed"}`)
    .join("; ");
}

function pactParts(f: GateFindings, service: Service): Part[] {
  const { verification } = f;
  if (verification.error) return [{ ok: false, text: `pact verification could not run: ${verification.error}` }];
  const verified = (consumer: Consumer) =>
    verification.interactions.some((i) => i.consumer === consumer) && failedInteractions(verification, consumer).length === 0;
  if (service === "auth") {
    const broken = CONSUMERS.filter((c) => !verified(c));
    if (broken.length === 0) return [{ ok: true, text: `pacts of ${new Intl.ListFormat("en", { type: "conjunction" }).format(CONSUMERS)} verified` }];
    return broken.map((c) => ({ ok: false, text: `breaks ${c}'s pact: ${describeFailures(verification, c) || "not verified"}` }));
  }
  const own = f.consumerPacts[service];
  if (!own.ok) return [{ ok: false, text: `pact: ${own.problems.join("; ")}` }];
  if (!verified(service))
    return [{ ok: false, text: `pact not satisfied by auth at this commit: ${describeFailures(verification, service) || "not verified"}` }];
  return [{ ok: true, text: "pact current and verified by auth" }];
}

/** One verdict per service (and one for the rest of the repository when its architecture fails). */
export function gateVerdicts(f: GateFindings): Verdict[] {
  const verdicts: Verdict[] = SERVICES.map((service) => {
    const parts = [...pactParts(f, service), bufPart(f, service), architecturePart(f, service)];
    const answer = f.broker?.[service];
    if (answer) parts.push({ ok: answer.ok, text: `broker can-i-deploy: ${answer.answer}` });
    const ok = parts.every((p) => p.ok);
    const ordered = [...parts.filter((p) => !p.ok), ...parts.filter((p) => p.ok)]; // what failed first
    return { service, ok, line: `${service}: ${ok ? "OK" : "FAILED"} — ${ordered.map((p) => p.text).join(", ")}` };
  });
  const elsewhere = f.architecture.violations.filter((v) => ownerOf(v.from) === undefined);
  if (elsewhere.length > 0) {
    const list = elsewhere.map((v) => `${v.rule}: ${v.from} → ${v.to}`).join("; ");
    verdicts.push({ service: "repository", ok: false, line: `repository (outside the services): FAILED — architecture: ${list}` });
  }
  return verdicts;
}
