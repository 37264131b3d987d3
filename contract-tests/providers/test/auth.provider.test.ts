import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { AUTH_EVENTS, CONSUMERS } from "../../src/auth-events.js";
import { committedPactPath, readPact } from "../../src/pact-files.js";
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
    const stated = readPact(committedPactPath(consumer)).interactions.map((i) => i.description).sort();
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
