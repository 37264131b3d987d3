import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bufLint } from "../buf-lint.js";
import { repoRoot } from "../common.js";

describe("buf lint", () => {
  const tmp = mkdtempSync(join(tmpdir(), "acme-buf-lint-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("passes on the repository's proto/", () => {
    const result = bufLint();
    expect(result.ok, result.report).toBe(true);
  });

  it("fails on a module with violations and names each rule", () => {
    // Copied out of the repository so that only the fixture's own buf.yaml applies.
    cpSync(join(repoRoot, "tools/checks/test/fixtures/buf-lint"), tmp, { recursive: true });
    const result = bufLint(tmp);
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/bad\.proto:6:9: MESSAGE_PASCAL_CASE .*"user_registered"/);
    expect(result.report).toMatch(/bad\.proto:7:10: FIELD_LOWER_SNAKE_CASE .*"userId"/);
  });
});
