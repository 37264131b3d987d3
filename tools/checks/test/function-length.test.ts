import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../common.js";
import { longFunctions, MAX_FUNCTION_LINES, PENDING_SPLITS } from "../function-length.js";

describe(`function length (kit: no function over ${MAX_FUNCTION_LINES} lines)`, () => {
  it("finds no function in services/kit/src over the limit", () => {
    const result = longFunctions(join(repoRoot, "services/kit/src"), MAX_FUNCTION_LINES, PENDING_SPLITS);
    expect(result.filesChecked).toBeGreaterThan(50);
    expect(result.ok, result.report).toBe(true);
  });

  it("names every kind of long function, nested ones too, and passes short ones", () => {
    const result = longFunctions(join(repoRoot, "tools/checks/test/fixtures/function-length"), 5);
    expect(result.ok).toBe(false);
    expect(result.offenders.map((o) => `${o.name}:${o.lines}`).sort()).toEqual(["arrow:6", "inner:6", "method:6", "outer:11"]);
    expect(result.report).toContain("tools/checks/test/fixtures/function-length/functions.ts:1 outer (11 lines)");
  });

  it("lets a pending split keep its lines, fails when it grows, and names an entry no longer needed", () => {
    const dir = join(repoRoot, "tools/checks/test/fixtures/function-length");
    const file = "tools/checks/test/fixtures/function-length/functions.ts";
    const allowed = longFunctions(dir, 5, { [`${file}#outer`]: 11, [`${file}#inner`]: 6, [`${file}#arrow`]: 6, [`${file}#method`]: 6 });
    expect(allowed.ok, allowed.report).toBe(true);
    const grown = longFunctions(dir, 5, { [`${file}#outer`]: 10, [`${file}#inner`]: 6, [`${file}#arrow`]: 6, [`${file}#method`]: 6 });
    expect(grown.offenders.map((o) => o.name)).toEqual(["outer"]);
    const stale = longFunctions(dir, 5, { [`${file}#outer`]: 11, [`${file}#inner`]: 6, [`${file}#arrow`]: 6, [`${file}#method`]: 6, [`${file}#short`]: 60 });
    expect(stale.ok).toBe(false);
    expect(stale.report).toContain(`${file}#short is split now (or gone): remove it from PENDING_SPLITS`);
  });
});
