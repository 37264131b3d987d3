import { spawnSync } from "node:child_process";

/**
 * Where the Pact Broker is and what to tell it, all from the environment, so
 * CI and a person's shell use the same commands. No PACT_BROKER_BASE_URL: no
 * broker, and every contract is verified from the committed pact files.
 */
export interface BrokerSettings {
  baseUrl: string;
  /** Bearer token (PACT_BROKER_TOKEN). Passed to child processes in their environment only, never as an argument. */
  token?: string;
  /** The version of this commit for every pacticipant: the git sha (PACT_VERSION overrides). */
  version: string;
  branch: string;
  buildUrl?: string;
  /** The environment can-i-deploy asks about and record-deployment records (PACT_ENVIRONMENT, default production). */
  environment: string;
  /** Publish provider verification results (only CI should): PACT_PUBLISH_VERIFICATION_RESULTS=true, or CI=true. */
  publishVerificationResults: boolean;
}

type Env = Record<string, string | undefined>;
type Git = (...args: string[]) => string | undefined;

const git: Git = (...args) => {
  const r = spawnSync("git", args, { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
};

export function brokerSettings(env: Env = process.env, gitOutput: Git = git): BrokerSettings | undefined {
  const baseUrl = env.PACT_BROKER_BASE_URL?.trim();
  if (!baseUrl) return undefined;
  const version = env.PACT_VERSION || env.GITHUB_SHA || gitOutput("rev-parse", "HEAD");
  // In a pull request GITHUB_REF_NAME is "123/merge"; the branch is GITHUB_HEAD_REF.
  const branch = env.PACT_BRANCH || env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || gitOutput("branch", "--show-current");
  if (!version) throw new Error("PACT_BROKER_BASE_URL is set but the version is unknown: set PACT_VERSION or run inside a git checkout");
  if (!branch) throw new Error("PACT_BROKER_BASE_URL is set but the branch is unknown (detached HEAD?): set PACT_BRANCH");
  const buildUrl =
    env.PACT_BUILD_URL ||
    (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined);
  return {
    baseUrl,
    ...(env.PACT_BROKER_TOKEN ? { token: env.PACT_BROKER_TOKEN } : {}),
    version,
    branch,
    ...(buildUrl ? { buildUrl } : {}),
    environment: env.PACT_ENVIRONMENT || "production",
    publishVerificationResults: (env.PACT_PUBLISH_VERIFICATION_RESULTS ?? (env.CI === "true" ? "true" : "false")) === "true",
  };
}
