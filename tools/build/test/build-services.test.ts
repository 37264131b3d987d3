import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { buildService, SERVICES } from "../src/build-services.js";

describe("service bundles", () => {
  let db: TestDatabase | undefined;
  afterAll(() => db?.drop());

  it.each(SERVICES)("%s bundles its own code and keeps third-party packages external", async (name) => {
    const dist = await buildService(name);
    const main = readFileSync(`${dist}/main.mjs`, "utf8");
    expect(main).toMatch(/from "@connectrpc\/connect-node"/); // loaded from node_modules at run time
    expect(main).not.toMatch(/from "@acme\//); // our TypeScript workspaces are inside
  });

  it("a bundle runs on plain node: auth's migrate.mjs migrates a database", async () => {
    db = await createTestDatabase("bundle");
    const dist = await buildService("auth");
    execFileSync(process.execPath, [`${dist}/migrate.mjs`], {
      cwd: fileURLToPath(new URL("../../../services/auth", import.meta.url)),
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: "pipe",
    });
    const sql = postgres(db.url, { max: 1 });
    const tables = await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
    await sql.end();
    expect(tables.map((t) => t.table_name)).toEqual(["credentials", "login_attempts", "outbox", "passwords", "signing_keys"]);
  });
});
