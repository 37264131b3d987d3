import { describe, expect, it } from "vitest";
import type { InteractionResult, VerificationResult } from "../../providers/verify-auth.js";
import { gateVerdicts, ownerOf, type GateFindings } from "../verdicts.js";

const interaction = (consumer: string, description: string, mismatches: string[] = []): InteractionResult => ({
  consumer,
  description,
  ok: mismatches.length === 0,
  pending: false,
  mismatches,
});
const allVerified: VerificationResult = {
  ok: true,
  output: "",
  interactions: ["profile", "billing", "notifications"].flatMap((c) =>
    ["a UserRegistered event", "a UserEmailChanged event", "a UserDeleted event"].map((d) => interaction(c, d)),
  ),
};
const green = (): GateFindings => ({
  buf: { ok: true, findings: [] },
  architecture: { violations: [], problems: [] },
  consumerPacts: { profile: { ok: true, problems: [] }, billing: { ok: true, problems: [] }, notifications: { ok: true, problems: [] } },
  verification: structuredClone(allVerified),
});
const lines = (findings: GateFindings) => gateVerdicts(findings).map((v) => v.line);

describe("the gate's verdict per service", () => {
  it("all green: one OK line per service", () => {
    expect(lines(green())).toEqual([
      "auth: OK — pacts of profile, billing, and notifications verified, protos compatible with main, architecture clean",
      "profile: OK — pact current and verified by auth, protos compatible with main, architecture clean",
      "billing: OK — pact current and verified by auth, protos compatible with main, architecture clean",
      "notifications: OK — pact current and verified by auth, protos compatible with main, architecture clean",
    ]);
  });

  it("auth dropping a field billing uses fails auth and billing, naming the interaction and the mismatch; profile stays OK", () => {
    const findings = green();
    findings.verification.ok = false;
    findings.verification.interactions[3] = interaction("billing", "a UserRegistered event", ["$: Actual map is missing the following keys: email"]);
    const verdicts = gateVerdicts(findings);
    expect(verdicts.map((v) => [v.service, v.ok])).toEqual([
      ["auth", false],
      ["profile", true],
      ["billing", false],
      ["notifications", true],
    ]);
    expect(verdicts[0]!.line).toBe(
      "auth: FAILED — breaks billing's pact: a UserRegistered event: $: Actual map is missing the following keys: email, protos compatible with main, architecture clean",
    );
    expect(verdicts[2]!.line).toMatch(/^billing: FAILED — pact not satisfied by auth at this commit: a UserRegistered event: \$: Actual map is missing/);
  });

  it("a pending interaction (a consumer's new expectation from the broker) does not fail anyone", () => {
    const findings = green();
    findings.verification.interactions.push({ ...interaction("billing", "a UserRenamed event", ["no such event"]), pending: true });
    expect(gateVerdicts(findings).every((v) => v.ok)).toBe(true);
  });

  it("a stale committed pact fails its consumer only", () => {
    const findings = green();
    findings.consumerPacts.profile = { ok: false, problems: ["contract-tests/pacts/profile-auth.json is not the pact that profile's consumer tests produce"] };
    expect(gateVerdicts(findings).map((v) => v.ok)).toEqual([true, false, true, true]);
  });

  it("a breaking proto change fails the service whose package it is in; auth owns its events", () => {
    const findings = green();
    findings.buf = {
      ok: false,
      findings: ['proto/acme/auth/events/v1/events.proto:23:3: FIELD_SAME_JSON_NAME Field "2" with name "email" changed option "json_name"'],
    };
    const verdicts = gateVerdicts(findings);
    expect(verdicts.map((v) => v.ok)).toEqual([false, true, true, true]);
    expect(verdicts[0]!.line).toContain("buf breaking: proto/acme/auth/events/v1/events.proto:23:3: FIELD_SAME_JSON_NAME");
  });

  it("an architecture violation fails its service; one in kit fails every service; one elsewhere gets a line of its own", () => {
    const findings = green();
    findings.architecture.violations = [{ rule: "no-cross-service-imports", from: "services/billing/src/x.ts", to: "services/auth/src/y.ts" }];
    expect(gateVerdicts(findings).map((v) => v.ok)).toEqual([true, true, false, true]);
    findings.architecture.violations = [{ rule: "kit-imports-no-service", from: "services/kit/src/a.ts", to: "services/auth/src/b.ts" }];
    expect(gateVerdicts(findings).map((v) => v.ok)).toEqual([false, false, false, false]);
    findings.architecture.violations = [{ rule: "r", from: "tools/x.ts", to: "y" }];
    expect(gateVerdicts(findings).map((v) => [v.service, v.ok])).toEqual([
      ["auth", true],
      ["profile", true],
      ["billing", true],
      ["notifications", true],
      ["repository", false],
    ]);
  });

  it("a verifier that could not run, or a cruise that saw nothing, fails everyone", () => {
    const findings = green();
    findings.verification = { ok: false, interactions: [], output: "", error: "Verification was unable to run" };
    expect(gateVerdicts(findings).map((v) => v.ok)).toEqual([false, false, false, false]);
    const cruise = green();
    cruise.architecture.problems = ["dependency-cruiser cruised 0 modules"];
    expect(gateVerdicts(cruise).map((v) => v.ok)).toEqual([false, false, false, false]);
  });

  it("adds the broker's answer when there is a broker", () => {
    const findings = green();
    findings.broker = {
      auth: { ok: true, answer: "Computer says yes \\o/ (production)" },
      profile: { ok: true, answer: "Computer says yes \\o/ (production)" },
      billing: { ok: false, answer: "Computer says no ¯\\_(ツ)_/¯ (production)" },
      notifications: { ok: true, answer: "Computer says yes \\o/ (production)" },
    };
    const verdicts = gateVerdicts(findings);
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, false, true]);
    expect(verdicts[2]!.line).toContain("broker can-i-deploy: Computer says no");
  });

  it("knows whose a path is", () => {
    expect(
      [
        "services/auth/src/a.ts",
        "proto/acme/billing/v1/b.proto",
        "acme/profile/v1/p.proto",
        "services/kit/src/k.ts",
        "tools/x.ts",
        "proto/grpc/health/v1/h.proto",
      ].map(ownerOf),
    ).toEqual(["auth", "billing", "profile", "kit", undefined, undefined]);
  });
});
