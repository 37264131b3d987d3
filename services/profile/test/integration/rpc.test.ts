import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { Health, HealthCheckResponse_ServingStatus } from "@acme/gen/grpc/health/v1/health_pb";
import { waitUntil } from "@acme/devstack";
import type { RunningProfileService } from "../../src/service.js";
import { profileFixture, type ProfileFixture } from "../support/profile-fixture.js";
import { bearer } from "@acme/testing/bearer";

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}

describe("ProfileService over a real listening server", () => {
  let f: ProfileFixture;
  let service: RunningProfileService;
  let ada: string;
  let bob: string;

  beforeAll(async () => {
    f = await profileFixture("profile_rpc");
    service = await f.start();
    ada = f.newUserId();
    bob = f.newUserId();
    await f.auth.registered(ada, "ada@example.com");
    await f.auth.registered(bob, "bob@example.com");
    await waitUntil("profiles", async () => (await f.sql`select 1 from profiles`).length === 2);
  });
  afterAll(() => f?.close());

  it("answers the owner with their profile, display name starting as the email", async () => {
    const { profile } = await f.client(service, await f.tokens.token(ada)).getProfile({ userId: ada });
    expect(profile).toMatchObject({ userId: ada, displayName: "ada@example.com", avatarUrl: "" });
    expect(profile?.createdAt).toBeDefined();
  });

  it("treats an empty user id as the caller, and speaks gRPC too", async () => {
    const token = await f.tokens.token(bob);
    const grpc = createClient(ProfileService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}`, interceptors: [bearer(token)] }));
    expect((await grpc.getProfile({})).profile?.userId).toBe(bob);
  });

  it("refuses a call without a token with unauthenticated", async () => {
    const error = await failure(f.client(service).getProfile({ userId: ada }));
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it.each([
    ["algNone", /not signed with EdDSA/],
    ["hs256WithPublicKey", /not signed with EdDSA/],
    ["expired", /expired/],
    ["wrongAudience", /"aud"/],
    ["wrongIssuer", /"iss"/],
    ["unknownKid", /key auth does not publish/],
  ] as const)("refuses a forged token (%s) with unauthenticated", async (attack, reason) => {
    const tokens = await f.tokens.attacks(ada);
    const error = await failure(f.client(service, tokens[attack]).getProfile({ userId: ada }));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toMatch(reason);
  });

  it("refuses reading or changing someone else's profile with permission_denied", async () => {
    const client = f.client(service, await f.tokens.token(bob));
    expect((await failure(client.getProfile({ userId: ada }))).code).toBe(Code.PermissionDenied);
    expect((await failure(client.updateProfile({ userId: ada, displayName: "Mallory" }))).code).toBe(Code.PermissionDenied);
    // Also for a user that does not exist: the answer does not reveal who exists.
    expect((await failure(client.getProfile({ userId: f.newUserId() }))).code).toBe(Code.PermissionDenied);
  });

  it("answers not_found, saying it may still be on its way, before the registration arrives", async () => {
    const newcomer = f.newUserId();
    const error = await failure(f.client(service, await f.tokens.token(newcomer)).getProfile({ userId: newcomer }));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toMatch(/may still be on its way/);
  });

  it("lets the owner change display name and avatar, and keeps them when the account email changes", async () => {
    const client = f.client(service, await f.tokens.token(ada));
    const { profile } = await client.updateProfile({ userId: ada, displayName: "  Ada Lovelace ", avatarUrl: "https://img.example.com/ada.png" });
    expect(profile).toMatchObject({ displayName: "Ada Lovelace", avatarUrl: "https://img.example.com/ada.png" });
    await f.auth.emailChanged(ada, "ada@lovelace.example", 2);
    await waitUntil("email change applied", async () => (await f.sql`select 1 from profiles where account_email = 'ada@lovelace.example'`).length === 1);
    expect((await client.getProfile({ userId: ada })).profile?.displayName).toBe("Ada Lovelace");
    // Unset fields keep their value; "" removes the avatar.
    expect((await client.updateProfile({ userId: ada, avatarUrl: "" })).profile).toMatchObject({ displayName: "Ada Lovelace", avatarUrl: "" });
  });

  it("the display name follows the account email while the user has not chosen one", async () => {
    await f.auth.emailChanged(bob, "robert@example.com", 2);
    await waitUntil("email change applied", async () => (await f.sql`select 1 from profiles where account_email = 'robert@example.com'`).length === 1);
    expect((await f.client(service, await f.tokens.token(bob)).getProfile({})).profile?.displayName).toBe("robert@example.com");
  });

  it.each([
    [{ displayName: "   " }, "display_name"],
    [{ displayName: "x".repeat(65) }, "display_name"],
    [{ displayName: "bell\u0007" }, "display_name"],
    [{ avatarUrl: "http://img.example.com/a.png" }, "avatar_url"],
    [{ avatarUrl: "not a url" }, "avatar_url"],
    [{ avatarUrl: "https://user:pw@img.example.com/a.png" }, "avatar_url"],
    [{ avatarUrl: "javascript:alert(1)" }, "avatar_url"],
  ])("refuses invalid input %j with invalid_argument naming %s", async (input, field) => {
    const error = await failure(f.client(service, await f.tokens.token(ada)).updateProfile({ userId: ada, ...input }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage.startsWith(`${field}:`)).toBe(true);
  });

  it("answers not_found once the account is deleted", async () => {
    const carol = f.newUserId();
    await f.auth.registered(carol, "carol@example.com");
    await f.auth.deleted(carol, 2);
    await waitUntil("deleted", async () => (await f.sql`select 1 from user_tombstones where user_id = ${carol}`).length === 1);
    const client = f.client(service, await f.tokens.token(carol));
    const error = await failure(client.getProfile({}));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toMatch(/deleted/);
    expect((await failure(client.updateProfile({ displayName: "Back" }))).code).toBe(Code.NotFound);
  });

  it("serves health without a token", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await fetch(`http://127.0.0.1:${service.adminPort}/readyz`)).status).toBe(200);
    // Readiness details and metrics are on the admin port only.
    expect((await fetch(`http://127.0.0.1:${service.port}/readyz`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${service.port}/metrics`)).status).toBe(404);
  });
});
