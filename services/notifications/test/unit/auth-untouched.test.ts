import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();

/**
 * The merge that brought services/notifications into main ("Merge branch
 * 'notifications'"). Its second parent is the branch the service was built
 * on; the commits on it, and not on main before, are the ones that built it.
 */
const NOTIFICATIONS_LANDED = "a8cfdd5cb37cfa128544e2485bca706a793bb144";

/**
 * The design's claim: a new consumer joins by reading published facts and
 * owning its copy, and touches nothing in the producer. Every commit that
 * built services/notifications is checked: none of them changed a file
 * under services/auth/. Later repository-wide changes (a formatter, kit's
 * exports) touch every service at once and are not part of the claim.
 */
describe("adding notifications changed nothing in auth", () => {
  it("no commit of the branch that built services/notifications touches services/auth", () => {
    const commits = git("rev-list", "--no-merges", `${NOTIFICATIONS_LANDED}^1..${NOTIFICATIONS_LANDED}^2`).split("\n").filter(Boolean);
    const building = commits.filter((commit) => git("show", "--name-only", "--format=", commit).includes("services/notifications/"));
    expect(building.length).toBeGreaterThan(10);
    for (const commit of building) {
      const files = git("show", "--name-only", "--format=", commit).split("\n").filter(Boolean);
      expect(
        files.filter((file) => file.startsWith("services/auth/")),
        `commit ${commit}`,
      ).toEqual([]);
    }
  });
});
