import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../common.js";
import { lint } from "../lint.js";

describe("lint and format (biome ci)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "acme-lint-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("passes on the repository", () => {
    const result = lint();
    expect(result.ok, result.report).toBe(true);
  });

  it("fails on a file with violations and names each rule", () => {
    // Copied out with the repository's own configuration, so the same rules apply to it.
    cpSync(join(repoRoot, "tools/checks/test/fixtures/lint"), tmp, { recursive: true });
    cpSync(join(repoRoot, "biome.jsonc"), join(tmp, "biome.jsonc"));

    const result = lint(["bad.ts"], tmp, ["--vcs-enabled=false"]); // the copy is not a git checkout
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/noFloatingPromises/);
    expect(result.report).toMatch(/noAssignInExpressions/);
    expect(result.report).toMatch(/bad\.ts format/);
  });
});
