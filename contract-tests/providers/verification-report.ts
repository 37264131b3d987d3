import type { VerificationResult } from "./verify-auth.js";

/** One line per consumer: how many of its interactions auth satisfied, and what broke. */
export function verificationLines(result: VerificationResult): string[] {
  if (result.error) return [`auth: the verifier could not run: ${result.error}`];
  const consumers = [...new Set(result.interactions.map((i) => i.consumer))];
  if (consumers.length === 0) return ["auth: no pact was verified"];
  return consumers.map((consumer) => {
    const mine = result.interactions.filter((i) => i.consumer === consumer);
    const failed = mine.filter((i) => !i.ok);
    const pending = failed.filter((i) => i.pending).length;
    const head = `auth ← ${consumer}: ${mine.length - failed.length}/${mine.length} interactions verified`;
    if (failed.length === 0) return head;
    const details = failed.map((i) => `    ${i.pending ? "(pending) " : ""}${i.description}: ${i.mismatches.join("; ") || "failed"}`);
    return [`${head}${pending ? ` (${pending} pending: not failing the build yet)` : ""}`, ...details].join("\n");
  });
}

/** Failures that count: a pending pact (a consumer's new expectation, never verified yet) does not fail auth's build. */
export function failedInteractions(result: VerificationResult, consumer?: string) {
  return result.interactions.filter((i) => !i.ok && !i.pending && (consumer === undefined || i.consumer === consumer));
}
