import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();

/**
 * The design's claim: a new consumer joins by reading published facts and
 * owning its copy, and touches nothing in the producer. Every commit that
 * built services/notifications is checked: none of them changed a file
 * under services/auth/.
 */
describe("adding notifications changed nothing in auth", () => {
  it("no commit that touches services/notifications touches services/auth", () => {
    const commits = git("log", "--format=%H", "--", "services/notifications").split("\n").filter(Boolean);
    expect(commits.length).toBeGreaterThan(0);
    for (const commit of commits) {
      const files = git("show", "--name-only", "--format=", commit).split("\n").filter(Boolean);
      expect(files.filter((file) => file.startsWith("services/auth/")), `commit ${commit}`).toEqual([]);
    }
  });
});
