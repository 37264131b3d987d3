import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { brokerSettings, type BrokerSettings } from "../broker/broker-settings.js";
import { canIDeployArgs, publishArgs, recordDeploymentArgs, runPactBroker } from "../broker/pact-broker-cli.js";
import { pactSourceFromEnv } from "../providers/verify-cli.js";
import { authVerifierOptions, CONSUMER_VERSION_SELECTORS, summariseVerifierJson } from "../providers/verify-auth.js";
import { withoutAmbientBrokerSettings } from "../src/pact-env.js";

/**
 * No Pact Broker can run on this machine (Ruby gems and Docker are out of
 * reach), so the broker flow is tested as far as it goes without one: the
 * settings read from the environment, the exact pact-broker CLI arguments and
 * Verifier options built from them. `npm test` verifies from the committed
 * pact files instead (providers/test).
 */
const noGit = () => undefined;
const settings: BrokerSettings = {
  baseUrl: "https://acme.pactflow.example",
  token: "s3cret-token",
  version: "0123abcd",
  branch: "feature/contact-email",
  buildUrl: "https://ci.example/runs/7",
  environment: "production",
  publishVerificationResults: true,
};

describe("broker settings from the environment", () => {
  it("no PACT_BROKER_BASE_URL: no broker", () => {
    expect(brokerSettings({ PACT_BROKER_TOKEN: "t" }, noGit)).toBeUndefined();
    expect(brokerSettings({ PACT_BROKER_BASE_URL: "  " }, noGit)).toBeUndefined();
  });

  it("in a GitHub pull request: the commit, the head branch, the run's URL; results published because CI=true", () => {
    const env = {
      PACT_BROKER_BASE_URL: "https://broker.example",
      PACT_BROKER_TOKEN: "t",
      GITHUB_SHA: "feedbeef",
      GITHUB_HEAD_REF: "feature/x",
      GITHUB_REF_NAME: "42/merge",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: "acme/owned-data",
      GITHUB_RUN_ID: "99",
      CI: "true",
    };
    expect(brokerSettings(env, noGit)).toEqual({
      baseUrl: "https://broker.example",
      token: "t",
      version: "feedbeef",
      branch: "feature/x",
      buildUrl: "https://github.com/acme/owned-data/actions/runs/99",
      environment: "production",
      publishVerificationResults: true,
    });
  });

  it("on a laptop: git's commit and branch, no results published unless asked", () => {
    const git = (...args: string[]) => (args[0] === "rev-parse" ? "c0ffee" : "main");
    expect(brokerSettings({ PACT_BROKER_BASE_URL: "http://localhost:9292", PACT_ENVIRONMENT: "staging" }, git)).toEqual({
      baseUrl: "http://localhost:9292",
      version: "c0ffee",
      branch: "main",
      environment: "staging",
      publishVerificationResults: false,
    });
  });

  it("refuses to guess a version or a branch", () => {
    expect(() => brokerSettings({ PACT_BROKER_BASE_URL: "http://b" }, noGit)).toThrow(/PACT_VERSION/);
    expect(() => brokerSettings({ PACT_BROKER_BASE_URL: "http://b", PACT_VERSION: "1" }, noGit)).toThrow(/PACT_BRANCH/);
  });
});

describe("pact-broker CLI arguments", () => {
  it("publish: the committed pacts as this commit's version, on its branch", () => {
    expect(publishArgs(settings)).toEqual([
      "publish",
      "contract-tests/pacts",
      "--broker-base-url",
      "https://acme.pactflow.example",
      "--consumer-app-version",
      "0123abcd",
      "--branch",
      "feature/contact-email",
      "--build-url",
      "https://ci.example/runs/7",
    ]);
  });

  it("can-i-deploy: this version of the service to the environment, waiting for a verification still running", () => {
    expect(canIDeployArgs(settings, "billing")).toEqual([
      "can-i-deploy",
      "--broker-base-url",
      "https://acme.pactflow.example",
      "--pacticipant",
      "billing",
      "--version",
      "0123abcd",
      "--to-environment",
      "production",
      "--retry-while-unknown",
      "6",
      "--retry-interval",
      "10",
    ]);
  });

  it("record-deployment: this version of the service in the environment", () => {
    expect(recordDeploymentArgs(settings, "auth")).toEqual([
      "record-deployment",
      "--broker-base-url",
      "https://acme.pactflow.example",
      "--pacticipant",
      "auth",
      "--version",
      "0123abcd",
      "--environment",
      "production",
    ]);
  });

  it("never puts the token in an argument (it travels as PACT_BROKER_TOKEN in the environment)", () => {
    const all = [publishArgs(settings), canIDeployArgs(settings, "auth"), recordDeploymentArgs(settings, "profile")].flat();
    expect(all.join(" ")).not.toContain(settings.token);
  });

  it("runs the real CLI of @pact-foundation/pact-cli", async () => {
    const call = await runPactBroker(["--version"], { timeoutSeconds: 30 });
    expect(call.ok, call.output).toBe(true);
    expect(call.output).toMatch(/\d+\.\d+\.\d+/);
  });

  it("gives up on a CLI that does not answer in time, saying so", async () => {
    const bin = join(mkdtempSync(join(tmpdir(), "slow-broker-")), "pact-broker");
    writeFileSync(bin, "#!/bin/sh\nsleep 30\n");
    chmodSync(bin, 0o755);
    const call = await runPactBroker(["can-i-deploy"], { timeoutSeconds: 1, bin });
    expect(call).toMatchObject({ ok: false, status: 124 });
    expect(call.output).toContain("pact-broker can-i-deploy gave no answer within 1 s");
  });
});

describe("auth's Verifier options", () => {
  const handlers = { stateHandlers: {}, messageProviders: {} };

  it("without a broker: the committed files, nothing published", () => {
    const options = authVerifierOptions({ kind: "files", files: ["a.json", "b.json"] }, handlers);
    expect(options).toMatchObject({ provider: "auth", pactUrls: ["a.json", "b.json"], failIfNoPactsFound: true });
    expect(options).not.toHaveProperty("pactBrokerUrl");
    expect(options).not.toHaveProperty("publishVerificationResult");
  });

  it("from the broker: main branch, matching branch and deployed or released consumers, pending pacts, results published", () => {
    const options = authVerifierOptions({ kind: "broker", broker: settings }, handlers);
    expect(CONSUMER_VERSION_SELECTORS).toEqual([{ mainBranch: true }, { matchingBranch: true }, { deployedOrReleased: true }]);
    expect(options).toMatchObject({
      provider: "auth",
      pactBrokerUrl: "https://acme.pactflow.example",
      pactBrokerToken: "s3cret-token",
      consumerVersionSelectors: CONSUMER_VERSION_SELECTORS,
      enablePending: true,
      publishVerificationResult: true,
      providerVersion: "0123abcd",
      providerVersionBranch: "feature/contact-email",
      buildUrl: "https://ci.example/runs/7",
    });
    expect(options).not.toHaveProperty("pactUrls");
  });

  it("from the broker without publishing (a laptop): no provider version sent", () => {
    const options = authVerifierOptions({ kind: "broker", broker: { ...settings, publishVerificationResults: false } }, handlers);
    expect(options).not.toHaveProperty("publishVerificationResult");
    expect(options).not.toHaveProperty("providerVersion");
  });

  it("a webhook's PACT_URL: that pact only", () => {
    const source = pactSourceFromEnv({
      PACT_BROKER_BASE_URL: "https://b",
      PACT_VERSION: "1",
      PACT_BRANCH: "main",
      PACT_URL: "https://b/pacts/provider/auth/consumer/billing/version/9",
    });
    expect(source).toMatchObject({ kind: "broker", pactUrl: "https://b/pacts/provider/auth/consumer/billing/version/9" });
    const options = authVerifierOptions(source, handlers);
    expect(options.pactUrls).toEqual(["https://b/pacts/provider/auth/consumer/billing/version/9"]);
    expect(options).not.toHaveProperty("pactBrokerUrl");
  });

  it("without PACT_BROKER_BASE_URL the source is the committed pacts", () => {
    const source = pactSourceFromEnv({});
    expect(source.kind).toBe("files");
    expect(source.kind === "files" && source.files.map((f) => f.split("/").slice(-2).join("/"))).toEqual([
      "pacts/profile-auth.json",
      "pacts/billing-auth.json",
      "pacts/notifications-auth.json",
    ]);
  });

  it("hides the ambient broker variables from Pact's core while it verifies, and restores them", async () => {
    process.env.PACT_BROKER_BASE_URL = "https://ambient.example";
    try {
      const seen = await withoutAmbientBrokerSettings(async () => process.env.PACT_BROKER_BASE_URL);
      expect(seen).toBeUndefined();
      expect(process.env.PACT_BROKER_BASE_URL).toBe("https://ambient.example");
    } finally {
      delete process.env.PACT_BROKER_BASE_URL;
    }
  });
});

describe("reading Pact's verification report", () => {
  it("one result per interaction, with its mismatches", () => {
    const json = JSON.stringify({
      result: false,
      output: ["Verifying a pact between billing and auth"],
      interactionResults: [
        {
          consumer: "billing",
          description: "a UserRegistered event",
          result: "Error",
          pending: false,
          mismatch: { mismatches: [{ path: "$", mismatch: "Actual map is missing the following keys: email", type: "BodyMismatch" }] },
        },
        { consumer: "billing", description: "a UserDeleted event", result: "OK", pending: false },
        { consumer: "profile", description: "a UserRenamed event", result: "Error", pending: true, mismatch: { message: "No handler found", type: "error" } },
      ],
    });
    expect(summariseVerifierJson(json)).toEqual({
      ok: false,
      output: "Verifying a pact between billing and auth",
      interactions: [
        {
          consumer: "billing",
          description: "a UserRegistered event",
          ok: false,
          pending: false,
          mismatches: ["$: Actual map is missing the following keys: email"],
        },
        { consumer: "billing", description: "a UserDeleted event", ok: true, pending: false, mismatches: [] },
        { consumer: "profile", description: "a UserRenamed event", ok: false, pending: true, mismatches: ["No handler found"] },
      ],
    });
  });

  it("no interaction ran: says why (here, as Pact reports an unreachable broker)", () => {
    const json = JSON.stringify({
      result: false,
      interactionResults: [],
      errors: [
        {
          interaction: "Failed to load pact",
          mismatch: { message: "No pacts found for provider 'auth' ... error sending request for url (http://127.0.0.1:9/)", type: "error" },
        },
      ],
    });
    expect(summariseVerifierJson(json).error).toBe(
      "Failed to load pact: No pacts found for provider 'auth' ... error sending request for url (http://127.0.0.1:9/)",
    );
  });
});
