import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("runService", () => {
  it("survives postgres.js's dropped array-type fetch failure, and still dies of any other unhandled rejection", () => {
    const fixture = fileURLToPath(new URL("./fixtures/unhandled-rejections.ts", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", fixture], { encoding: "utf8", timeout: 30_000 });
    expect(result.stdout).toContain("could not fetch array types");
    expect(result.stdout).toContain("survived the type-fetch rejection");
    expect(result.stdout).not.toContain("still running after another rejection");
    expect(result.stderr).toContain("any other rejection");
    expect(result.status).toBe(1);
  });
});
