import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../common.js";
import { typecheck } from "../typecheck.js";

describe("typecheck (tsc -p .)", () => {
  it("finds no type error in the repository", () => {
    const result = typecheck();
    expect(result.report).toContain("no type errors");
    expect(result.ok, result.report).toBe(true);
  });

  it("fails with the count when there are type errors", () => {
    const result = typecheck(join(repoRoot, "tools/checks/test/fixtures/typecheck/tsconfig.json"));
    expect(result.ok).toBe(false);
    expect(result.errors).toBe(2);
    expect(result.report).toContain("2 type error(s)");
    expect(result.report).toContain("two-errors.ts(6,14): error TS2322");
  });
});
