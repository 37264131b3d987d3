import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "@acme/devstack";
import type { RunningBillingService } from "../../src/service.js";
import { billingFixture, type BillingFixture } from "../support/billing-fixture.js";

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}

const address = { line1: "1 Main Street", line2: "", city: "Berlin", postalCode: "10115", countryCode: "DE" };

describe("BillingService over a real listening server", () => {
  let f: BillingFixture;
  let service: RunningBillingService;
  let ada: string;
  let bob: string;

  beforeAll(async () => {
    f = await billingFixture("billing_rpc");
    service = await f.start();
    ada = f.newUserId();
    bob = f.newUserId();
    await f.auth.registered(ada, "ada@example.com");
    await f.auth.registered(bob, "bob@example.com");
    await waitUntil("contacts", async () => (await f.sql`select 1 from billing_contacts`).length === 2);
  });
  afterAll(() => f?.close());

  it("answers the owner with their contact, billed to the account email", async () => {
    const { contact } = await f.client(service, await f.tokens.token(ada)).getBillingContact({ userId: ada });
    expect(contact).toMatchObject({ userId: ada, billingEmail: "ada@example.com" });
    expect(contact?.address).toBeUndefined();
  });

  it("refuses a call without a token, or with a forged one, with unauthenticated", async () => {
    expect((await failure(f.client(service).getBillingContact({ userId: ada }))).code).toBe(Code.Unauthenticated);
    for (const [attack, token] of Object.entries(await f.tokens.attacks(ada))) {
      expect((await failure(f.client(service, token).getBillingContact({ userId: ada }))).code, attack).toBe(Code.Unauthenticated);
    }
  });

  it("refuses someone else's contact with permission_denied", async () => {
    const client = f.client(service, await f.tokens.token(bob));
    expect((await failure(client.getBillingContact({ userId: ada }))).code).toBe(Code.PermissionDenied);
    expect((await failure(client.updateBillingAddress({ userId: ada, address }))).code).toBe(Code.PermissionDenied);
  });

  it("answers not_found, saying it may still be on its way, before the registration arrives", async () => {
    const newcomer = f.newUserId();
    const error = await failure(f.client(service, await f.tokens.token(newcomer)).getBillingContact({}));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toMatch(/may still be on its way/);
  });

  it("sets the address and an own billing email, which outlives account email changes until removed", async () => {
    const client = f.client(service, await f.tokens.token(ada));
    const { contact } = await client.updateBillingAddress({
      userId: ada,
      address: { ...address, countryCode: "de", city: " Berlin " },
      billingEmail: "invoices@corp.example",
    });
    expect(contact).toMatchObject({ billingEmail: "invoices@corp.example", address: { ...address } });
    await f.auth.emailChanged(ada, "ada@new.example", 2);
    await waitUntil("email change applied", async () => (await f.sql`select 1 from billing_contacts where account_email = 'ada@new.example'`).length === 1);
    expect((await client.getBillingContact({})).contact?.billingEmail).toBe("invoices@corp.example");
    // "" gives the own billing email up: invoices follow the (current) account email again; the address stays.
    const after = (await client.updateBillingAddress({ billingEmail: "" })).contact;
    expect(after).toMatchObject({ billingEmail: "ada@new.example", address: { city: "Berlin" } });
  });

  it.each([
    [{ address: { ...address, line1: " " } }, "address.line1"],
    [{ address: { ...address, city: "" } }, "address.city"],
    [{ address: { ...address, postalCode: "10115; drop" } }, "address.postal_code"],
    [{ address: { ...address, countryCode: "DEU" } }, "address.country_code"],
    [{ address: { ...address, countryCode: "XX" } }, "address.country_code"],
    [{ address: { ...address, line2: "x".repeat(101) } }, "address.line2"],
    [{ billingEmail: "not-an-email" }, "billing_email"],
  ])("refuses invalid input %j with invalid_argument naming %s", async (input, field) => {
    const error = await failure(f.client(service, await f.tokens.token(bob)).updateBillingAddress({ userId: bob, ...input }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage.startsWith(`${field}:`)).toBe(true);
  });

  it("answers not_found once the account is deleted", async () => {
    const carol = f.newUserId();
    await f.auth.registered(carol, "carol@example.com");
    await f.auth.deleted(carol, 2);
    await waitUntil("deleted", async () => (await f.sql`select 1 from user_tombstones where user_id = ${carol}`).length === 1);
    const error = await failure(f.client(service, await f.tokens.token(carol)).getBillingContact({}));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toMatch(/deleted/);
  });
});
