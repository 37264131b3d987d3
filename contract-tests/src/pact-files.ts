import { copyFileSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import type { Consumer } from "./auth-events.js";
import { PROVIDER } from "./auth-events.js";

export const CONTRACT_TESTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = join(CONTRACT_TESTS_DIR, "..");
/** The committed pacts: what provider verification and `contracts:publish` use. */
export const PACTS_DIR = join(CONTRACT_TESTS_DIR, "pacts");

/** The parts of a V4 pact file with asynchronous messages that this project reads. */
export interface PactFile {
  consumer: { name: string };
  provider: { name: string };
  interactions: PactInteraction[];
  metadata: Record<string, unknown>;
}

export interface PactInteraction {
  type: string;
  description: string;
  providerStates?: Array<{ name: string; params?: Record<string, unknown> }>;
  contents: { content: unknown; contentType?: string; encoded?: boolean | string };
  metadata?: Record<string, unknown>;
  matchingRules?: { body?: Record<string, unknown>; metadata?: Record<string, unknown> };
}

export function pactFileName(consumer: Consumer | string): string {
  return `${consumer}-${PROVIDER}.json`;
}

export function committedPactPath(consumer: Consumer | string): string {
  return join(PACTS_DIR, pactFileName(consumer));
}

export function readPact(path: string): PactFile {
  return JSON.parse(readFileSync(path, "utf8")) as PactFile;
}

export interface PactComparison {
  ok: boolean;
  report: string;
}

/**
 * The committed pact must be exactly what the consumer tests produced, or
 * auth would be verified against a stale contract. With UPDATE_PACTS=1 the
 * produced pact replaces the committed one instead (`npm run contracts:pacts`).
 */
export function compareWithCommitted(produced: string, consumer: Consumer, update = process.env.UPDATE_PACTS === "1"): PactComparison {
  const committed = committedPactPath(consumer);
  const shown = relative(REPO_ROOT, committed);
  if (update) {
    copyFileSync(produced, committed);
    return { ok: true, report: `updated ${shown}` };
  }
  let before: PactFile | undefined;
  try {
    before = readPact(committed);
  } catch {
    before = undefined;
  }
  const after = readPact(produced);
  if (before && isDeepStrictEqual(before, after)) return { ok: true, report: `${shown} is current` };
  const lines = [`${shown} is not the pact that ${consumer}'s consumer tests produce: run \`npm run contracts:pacts\` and commit it.`];
  if (!before) lines.push("  (it is missing or not JSON)");
  else lines.push(...interactionChanges(before, after).map((line) => `  ${line}`));
  return { ok: false, report: lines.join("\n") };
}

function interactionChanges(before: PactFile, after: PactFile): string[] {
  const index = (pact: PactFile) => new Map(pact.interactions.map((i) => [i.description, i]));
  const [old, now] = [index(before), index(after)];
  const changes: string[] = [];
  for (const [description, interaction] of now) {
    if (!old.has(description)) changes.push(`added: ${description}`);
    else if (!isDeepStrictEqual(old.get(description), interaction)) changes.push(`changed: ${description}`);
  }
  for (const description of old.keys()) if (!now.has(description)) changes.push(`removed: ${description}`);
  if (changes.length === 0) changes.push("the file's metadata differs (pact-js or Pact core version?)");
  return changes;
}
