import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { AUTH_EVENTS, CONSUMERS } from "../../src/auth-events.js";
import { committedPactPath, readPact, type PactFile } from "../../src/pact-files.js";
import { createAuthProvider, type AuthProvider } from "../auth-provider.js";
import { verifyAuth, type VerificationResult } from "../verify-auth.js";

/**
 * Provider verification from the committed pact files, as `npm test` runs
 * it when there is no Pact Broker: Pact's native verifier asks auth for each
 * message; auth's real use cases produce it on a real database.
 */
describe("auth satisfies the committed pacts of profile and billing", () => {
  let db: TestDatabase;
  let provider: AuthProvider;
  let result: VerificationResult;
  beforeAll(async () => {
    db = await createTestDatabase("auth_pact");
    provider = await createAuthProvider(db.url);
    result = await verifyAuth({ kind: "files", files: CONSUMERS.map(committedPactPath) }, provider);
  });
  afterAll(async () => {
    await provider?.close();
    await db?.drop();
  });

  it("Pact's verifier ran and passed", () => {
    expect(result.error).toBeUndefined();
    expect(result.ok, result.output).toBe(true);
  });

  it.each(CONSUMERS)("every interaction of %s's pact is verified", (consumer) => {
    const stated = readPact(committedPactPath(consumer))
      .interactions.map((i) => i.description)
      .sort();
    const verified = result.interactions.filter((i) => i.consumer === consumer);
    expect(verified.map((i) => i.description).sort()).toEqual(stated);
    expect(verified.filter((i) => !i.ok)).toEqual([]);
  });

  it("the messages came from the outbox rows auth's use cases wrote", async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ type: string; n: number }[]>`select headers->>'ce-type' as type, count(*)::int as n from outbox group by 1 order by 1`;
      // Per consumer: one registration per state, plus the change or deletion.
      const perConsumer = { UserRegistered: AUTH_EVENTS.length, UserEmailChanged: 1, UserDeleted: 1 };
      expect(Object.fromEntries(rows.map((r) => [r.type.split(".").pop(), r.n]))).toEqual(
        Object.fromEntries(Object.entries(perConsumer).map(([type, n]) => [type, n * CONSUMERS.length])),
      );
    } finally {
      await sql.end();
    }
  });
});

describe("auth's provider states are strict", () => {
  let db: TestDatabase;
  let provider: AuthProvider;
  const dir = mkdtempSync(join(tmpdir(), "pact-states-"));
  /** billing's committed pact with its provider states edited. */
  const billingPactWith = (edit: (pact: PactFile) => void) => {
    const pact = readPact(committedPactPath("billing"));
    edit(pact);
    const file = join(dir, `billing-auth-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(pact));
    return file;
  };
  beforeAll(async () => {
    db = await createTestDatabase("auth_pact_states");
    provider = await createAuthProvider(db.url);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await provider?.close();
    await db?.drop();
  });

  it("a message without a provider state comes from auth's event-building functions alone", async () => {
    const file = billingPactWith((pact) => {
      for (const i of pact.interactions) delete i.providerStates;
    });
    const result = await verifyAuth({ kind: "files", files: [file] }, provider);
    expect(result.ok, result.output).toBe(true);
    expect(result.interactions).toHaveLength(3);
  });

  it("a provider state auth does not know fails the interaction, naming the state", async () => {
    const file = billingPactWith((pact) => (pact.interactions[0]!.providerStates = [{ name: "a user has signed up" }]));
    const result = await verifyAuth({ kind: "files", files: [file] }, provider);
    expect(result.ok).toBe(false);
    const failed = result.interactions.filter((i) => !i.ok);
    expect(failed.map((i) => i.description)).toEqual([readPact(file).interactions[0]!.description]);
    expect(result.output).toMatch(/authProviderError.*auth has no provider state \\"a user has signed up\\"/);
  });
});
