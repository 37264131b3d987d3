import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();

/**
 * The design's claim: a new consumer joins by reading published facts and
 * owning its copy, and touches nothing in the producer. Every commit that
 * built services/notifications is checked: none of them changed a file
 * under services/auth/. A commit that changes kit's shared mechanism and
 * carries it into every service at once (issue 14: one error mapping, kit's
 * exports) is not a consumer reaching into its producer, so one that also
 * touches services/kit/ is not counted.
 */
describe("adding notifications changed nothing in auth", () => {
  it("no commit that touches services/notifications touches services/auth", () => {
    const commits = git("log", "--format=%H", "--", "services/notifications").split("\n").filter(Boolean);
    expect(commits.length).toBeGreaterThan(0);
    for (const commit of commits) {
      const files = git("show", "--name-only", "--format=", commit).split("\n").filter(Boolean);
      if (files.some((file) => file.startsWith("services/kit/"))) continue;
      expect(
        files.filter((file) => file.startsWith("services/auth/")),
        `commit ${commit}`,
      ).toEqual([]);
    }
  });
});
