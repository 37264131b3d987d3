import { execFileSync } from "node:child_process";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startSystem, type System } from "./support/system.js";

/**
 * The design's experiment: auth renamed `credentials.email` to
 * `contact_email` and moved password hashes to a table of their own
 * (migration 0002). In a shared-table system that breaks every service.
 * Here it is auth's business alone.
 */
describe("a schema change inside auth breaks nothing outside it", () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system.stop());

  it("the commit that made the change touched only services/auth", () => {
    const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();
    const commits = git("log", "--fixed-strings", "--grep", "[schema experiment]", "--format=%H").split("\n").filter(Boolean);
    expect(commits.length).toBeGreaterThan(0);
    for (const commit of commits) {
      const files = git("show", "--name-only", "--format=", commit).split("\n").filter(Boolean);
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter((file) => !file.startsWith("services/auth/"))).toEqual([]);
    }
  });

  it("auth's database has the new shape", async () => {
    const sql = postgres(system.databases.auth.url, { max: 1 });
    try {
      const columns = await sql<{ column_name: string }[]>`select column_name from information_schema.columns where table_name = 'credentials'`;
      expect(columns.map((c) => c.column_name)).toContain("contact_email");
      expect(columns.map((c) => c.column_name)).not.toContain("email");
      expect(columns.map((c) => c.column_name)).not.toContain("password_hash");
      expect(await sql`select 1 from information_schema.tables where table_name = 'passwords'`).toHaveLength(1);
    } finally {
      await sql.end();
    }
  });

  it("events still carry the email, and profile and billing still build their records from them", async () => {
    const { userId } = await system.auth.register({ email: "renamed@example.com", password: "correct horse battery staple" });
    const { accessToken } = await system.auth.login({ email: "renamed@example.com", password: "correct horse battery staple" });
    const headers = { authorization: `Bearer ${accessToken}` };
    expect((await eventually(() => system.profile.getProfile({ userId }, { headers }))).profile?.displayName).toBe("renamed@example.com");
    expect((await eventually(() => system.billing.getBillingContact({ userId }, { headers }))).contact?.billingEmail).toBe("renamed@example.com");
  });
});
