import { spawn } from "node:child_process";
import { join, relative } from "node:path";
import { PACTS_DIR, REPO_ROOT } from "../src/pact-files.js";
import type { BrokerSettings } from "./broker-settings.js";

/** The pact-broker CLI of @pact-foundation/pact-cli (a broker client; it starts no broker). */
export const PACT_BROKER_BIN = join(REPO_ROOT, "node_modules", ".bin", "pact-broker");
export const PACTICIPANTS = ["auth", "profile", "billing", "notifications"] as const;
export type Pacticipant = (typeof PACTICIPANTS)[number];

/**
 * Arguments only: the token reaches the CLI as PACT_BROKER_TOKEN in its
 * environment (it reads it there), so it never shows in a process list or a
 * CI log.
 */
export function publishArgs(settings: BrokerSettings, pactsDir = PACTS_DIR): string[] {
  return [
    "publish",
    relative(REPO_ROOT, pactsDir) || ".",
    "--broker-base-url",
    settings.baseUrl,
    "--consumer-app-version",
    settings.version,
    "--branch",
    settings.branch,
    ...(settings.buildUrl ? ["--build-url", settings.buildUrl] : []),
  ];
}

/** Waits (a minute at most) for a verification that is still running, rather than answering "unknown". */
export function canIDeployArgs(settings: BrokerSettings, pacticipant: Pacticipant): string[] {
  return [
    "can-i-deploy",
    "--broker-base-url",
    settings.baseUrl,
    "--pacticipant",
    pacticipant,
    "--version",
    settings.version,
    "--to-environment",
    settings.environment,
    "--retry-while-unknown",
    "6",
    "--retry-interval",
    "10",
  ];
}

export function recordDeploymentArgs(settings: BrokerSettings, pacticipant: Pacticipant): string[] {
  return [
    "record-deployment",
    "--broker-base-url",
    settings.baseUrl,
    "--pacticipant",
    pacticipant,
    "--version",
    settings.version,
    "--environment",
    settings.environment,
  ];
}

export interface BrokerCall {
  ok: boolean;
  status: number;
  output: string;
}

/**
 * Runs the CLI under coreutils `timeout` (which signals its whole process
 * group: the node wrapper and the native binary it starts), so an
 * unreachable broker fails the step instead of hanging CI. (The CLI itself
 * retries failed requests with back-off for about a minute first.)
 */
export function runPactBroker(args: string[], options: { timeoutSeconds?: number; bin?: string } = {}): Promise<BrokerCall> {
  const seconds = options.timeoutSeconds ?? 120;
  const child = spawn("timeout", ["--kill-after=10", String(seconds), options.bin ?? PACT_BROKER_BIN, ...args], {
    cwd: REPO_ROOT,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const status = code ?? 1;
      const output = Buffer.concat(chunks).toString("utf8").trim();
      const timedOut = status === 124 || status === 137 ? `\npact-broker ${args[0]} gave no answer within ${seconds} s (is the broker reachable?)` : "";
      resolve({ ok: status === 0, status, output: output + timedOut });
    });
  });
}
