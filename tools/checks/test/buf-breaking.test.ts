import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bufBreaking, bufBreakingAgainstMain } from "../buf-breaking.js";
import { repoRoot } from "../common.js";

const EVENTS = "proto/acme/auth/events/v1/events.proto";
const tmp = mkdtempSync(join(tmpdir(), "acme-buf-breaking-"));

/** A copy of the repository's buf workspace (buf.yaml + proto/), with EVENTS edited. */
function copyWorkspace(name: string, edit?: (events: string) => string): string {
  const dir = join(tmp, name);
  cpSync(join(repoRoot, "buf.yaml"), join(dir, "buf.yaml"));
  cpSync(join(repoRoot, "proto"), join(dir, "proto"), { recursive: true });
  if (edit) {
    const file = join(dir, EVENTS);
    const before = readFileSync(file, "utf8");
    const after = edit(before);
    if (after === before) throw new Error(`the edit of ${name} changed nothing`);
    writeFileSync(file, after);
  }
  return dir;
}

/** Replaces `from` with `to` inside `message UserRegistered { ... }` only. */
function inUserRegistered(from: string, to: string) {
  return (source: string) => source.replace(/message UserRegistered \{[^}]*\}/, (message) => message.replace(from, to));
}

describe("buf breaking", () => {
  const original = copyWorkspace("original");
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("passes on an unchanged copy", () => {
    const result = bufBreaking({ input: copyWorkspace("unchanged"), against: original });
    expect(result.ok, result.report).toBe(true);
  });

  it("reports a renumbered field of UserRegistered", () => {
    const input = copyWorkspace("renumbered", inUserRegistered("string email = 2;", "string email = 5;"));
    const result = bufBreaking({ input, against: original });
    expect(result.ok).toBe(false);
    expect(result.report).toContain('FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED Previously present field "2" with name "email" on message "UserRegistered"');
    expect(result.report).not.toContain("UserEmailChanged");
  });

  it("reports a retyped field of UserRegistered", () => {
    const input = copyWorkspace("retyped", inUserRegistered("uint64 revision = 4;", "string revision = 4;"));
    const result = bufBreaking({ input, against: original });
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/Field "4" with name "revision" on message "UserRegistered" changed type from "uint64" to "string"/);
  });

  it("passes for the working tree against the main branch (or says why it cannot compare)", () => {
    const result = bufBreakingAgainstMain();
    expect(result.ok, result.report).toBe(true);
    expect(result.report).toMatch(/^(against |note: buf breaking skipped)/);
  });
});
