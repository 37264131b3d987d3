import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../common.js";
import { generatedDrift } from "../generated-drift.js";

describe("generated code drift", () => {
  const tmp = mkdtempSync(join(tmpdir(), "acme-gen-tampered-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("finds none: gen/src is what buf generate makes from proto/", () => {
    const result = generatedDrift();
    expect(result.drift).toEqual({ missing: [], extra: [], changed: [] });
    expect(result.ok, result.report).toBe(true);
  });

  it("reports a changed, a missing and an extra file precisely", () => {
    cpSync(join(repoRoot, "gen/src"), tmp, { recursive: true });
    appendFileSync(join(tmp, "acme/auth/events/v1/events_pb.ts"), "\n// edited by hand\n");
    unlinkSync(join(tmp, "acme/billing/v1/billing_service_pb.ts"));
    writeFileSync(join(tmp, "acme/auth/v1/stale_pb.ts"), "export {};\n");

    const result = generatedDrift(tmp);
    expect(result.ok).toBe(false);
    expect(result.drift).toEqual({
      missing: ["acme/billing/v1/billing_service_pb.ts"],
      extra: ["acme/auth/v1/stale_pb.ts"],
      changed: ["acme/auth/events/v1/events_pb.ts"],
    });
    expect(result.report).toContain("missing (npm run gen would add): acme/billing/v1/billing_service_pb.ts");
    expect(result.report).toContain("extra (npm run gen would delete): acme/auth/v1/stale_pb.ts");
    expect(result.report).toContain("changed (differs from generated): acme/auth/events/v1/events_pb.ts");
  });
});
