import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArgon2Hasher } from "@acme/auth/security/password-hasher";
import { MIGRATIONS_FOLDER } from "@acme/auth/service";
import { runMigrations } from "@acme/kit/db";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { CONSUMERS } from "../../src/auth-events.js";
import { committedPactPath, REPO_ROOT } from "../../src/pact-files.js";
import { createAuthProvider, SCENARIO_PASSWORD, type AuthProvider } from "../auth-provider.js";
import { verifyAuth, type VerificationResult } from "../verify-auth.js";

/** Auth's migrations up to, not including, 0002 (the rename of credentials.email to contact_email). */
async function migrationsBeforeTheRename(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "auth-migrations-")), "drizzle");
  await cp(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalFile = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalFile, "utf8")) as { entries: Array<{ tag: string }> };
  journal.entries = journal.entries.filter((entry) => entry.tag < "0002");
  await writeFile(journalFile, JSON.stringify(journal));
  return dir;
}

/**
 * The design's experiment seen from the contracts: auth renamed its column
 * `credentials.email` to `contact_email` (migration 0002, the
 * `[schema experiment]` commit). Here auth's database goes through that very
 * migration with accounts in it, and every pact still verifies: users who
 * registered before the rename change their email and delete their account
 * afterwards, new users register after it, all through auth's real use cases.
 */
describe("auth renaming its database column leaves every contract green", () => {
  let db: TestDatabase;
  let provider: AuthProvider;
  let result: VerificationResult;
  let sql: postgres.Sql;
  const usersFromBeforeTheRename: string[] = [];
  const createdBeforeTheRename: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("auth_pact_rename");
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const before = await migrationsBeforeTheRename();
    await runMigrations(db.url, before, "auth");
    await rm(join(before, ".."), { recursive: true, force: true });
    const hash = await createArgon2Hasher().hash(SCENARIO_PASSWORD);
    for (let i = 0; i < 2 * CONSUMERS.length; i++) {
      const userId = randomUUID();
      await sql`insert into credentials (user_id, email, password_hash) values (${userId}, ${`before-${userId}@example.com`}, ${hash})`;
      usersFromBeforeTheRename.push(userId);
    }
    createdBeforeTheRename.push(...usersFromBeforeTheRename);
    // createAuthProvider applies the remaining migrations: 0002 renames the column under these accounts.
    provider = await createAuthProvider(db.url, { existingUser: async () => usersFromBeforeTheRename.shift()! });
    result = await verifyAuth({ kind: "files", files: CONSUMERS.map(committedPactPath) }, provider);
  });
  afterAll(async () => {
    await sql?.end();
    await provider?.close();
    await db?.drop();
  });

  it("auth's table has the new column name and not the old one", async () => {
    const columns = (await sql<{ column_name: string }[]>`select column_name from information_schema.columns where table_name = 'credentials'`).map(
      (c) => c.column_name,
    );
    expect(columns).toContain("contact_email");
    expect(columns).not.toContain("email");
  });

  it("every interaction of profile's and billing's pacts verifies on the renamed schema", () => {
    expect(result.error).toBeUndefined();
    expect(result.ok, result.output).toBe(true);
    expect(result.interactions).toHaveLength(3 * CONSUMERS.length);
  });

  it("the accounts from before the rename were the ones that changed their email and were deleted", async () => {
    expect(usersFromBeforeTheRename).toEqual([]); // all used
    const rows = await sql<{ partition_key: string }[]>`
      select partition_key from outbox where subject in ('auth.events.user_email_changed.v1', 'auth.events.user_deleted.v1')`;
    expect(rows.map((r) => r.partition_key).sort()).toEqual([...createdBeforeTheRename].sort());
  });

  it("the commit that renamed the column touched no contract: no .proto, no generated code, no pact", () => {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    const commits = git("log", "--fixed-strings", "--grep", "[schema experiment]", "--format=%H").split("\n").filter(Boolean);
    expect(commits.length).toBeGreaterThan(0);
    for (const commit of commits) {
      const files = git("show", "--name-only", "--format=", commit).split("\n").filter(Boolean);
      expect(files.filter((file) => /^(proto|gen|contract-tests)\//.test(file))).toEqual([]);
    }
  });
});
