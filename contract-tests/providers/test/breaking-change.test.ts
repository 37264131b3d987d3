import { stripVTControlCharacters } from "node:util";
import type { MessageDescriptor } from "@pact-foundation/pact";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { CONSUMERS } from "../../src/auth-events.js";
import { committedPactPath } from "../../src/pact-files.js";
import { createAuthProvider, type AuthProvider, type ProvidedMessage } from "../auth-provider.js";
import { verifyAuth, type ProviderHandlers, type VerificationResult } from "../verify-auth.js";

/** Auth as it is, except that `change` edits every message it produces: a simulated change to auth's event code. */
function changedAuth(provider: AuthProvider, change: (produced: ProvidedMessage) => void): ProviderHandlers {
  const produce = Object.entries(provider.messageProviders).map(([description, original]) => [
    description,
    async (descriptor: MessageDescriptor) => {
      const produced = structuredClone((await original(descriptor)) as ProvidedMessage);
      change(produced);
      return produced;
    },
  ]);
  return { stateHandlers: provider.stateHandlers, messageProviders: Object.fromEntries(produce) };
}

const body = (produced: ProvidedMessage) => produced.message as Record<string, unknown>;
const failed = (result: VerificationResult, consumer: string) =>
  result.interactions
    .filter((i) => i.consumer === consumer && !i.ok)
    .map((i) => i.description)
    .sort();

/**
 * The demonstration that the contracts bite: billing (and profile) use the
 * account email; auth dropping it, or renaming it in the event, fails auth's
 * verification before auth can deploy, and the failure says whose contract
 * broke and where.
 */
describe("auth changing an event field its consumers use fails verification, naming them", () => {
  let db: TestDatabase;
  let provider: AuthProvider;
  const verify = (handlers: ProviderHandlers) => verifyAuth({ kind: "files", files: CONSUMERS.map(committedPactPath) }, handlers);
  beforeAll(async () => {
    db = await createTestDatabase("auth_pact_breaking");
    provider = await createAuthProvider(db.url);
  });
  afterAll(async () => {
    await provider?.close();
    await db?.drop();
  });

  it("dropping `email` fails billing's (and profile's) UserRegistered and UserEmailChanged", async () => {
    const result = await verify(changedAuth(provider, (produced) => delete body(produced).email));
    expect(result.ok).toBe(false);
    expect(failed(result, "billing")).toEqual(["a UserEmailChanged event", "a UserRegistered event"]);
    expect(failed(result, "profile")).toEqual(["a UserEmailChanged event", "a UserRegistered event"]);
    const billing = result.interactions.find((i) => i.consumer === "billing" && i.description === "a UserRegistered event")!;
    expect(billing.mismatches.join("\n")).toContain("$: Actual map is missing the following keys: email");
    const output = stripVTControlCharacters(result.output);
    expect(output).toContain("Verifying a pact between billing and auth");
    expect(output).toMatch(/Verifying a pact between billing and auth Given a user has registered - a UserRegistered event/);
  });

  it("renaming `email` to `contactEmail` (the column's new name leaking into the event) fails them too", async () => {
    const result = await verify(
      changedAuth(provider, (produced) => {
        const { email, ...rest } = body(produced);
        if (email !== undefined) produced.message = { ...rest, contactEmail: email } as ProvidedMessage["message"];
      }),
    );
    expect(result.ok).toBe(false);
    expect(failed(result, "billing")).toEqual(["a UserEmailChanged event", "a UserRegistered event"]);
    expect(stripVTControlCharacters(result.output)).toMatch(/Verifying a pact between billing and auth[\s\S]*Actual map is missing the following keys: email/);
  });

  it("publishing on another subject fails every interaction on its metadata", async () => {
    const result = await verify(
      changedAuth(provider, (produced) => {
        produced.__pactMessageMetadata.subject += "-v2";
      }),
    );
    expect(result.ok).toBe(false);
    for (const consumer of CONSUMERS) expect(failed(result, consumer)).toHaveLength(3);
    expect(result.interactions[0]!.mismatches.join("\n")).toMatch(/subject/);
  });

  it("adding a field breaks no one", async () => {
    const result = await verify(
      changedAuth(provider, (produced) => {
        body(produced).locale = "en-GB";
      }),
    );
    expect(result.ok, result.output).toBe(true);
  });
});
