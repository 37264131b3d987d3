import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { natsUrl } from "@acme/testing";
import { startAuthFixture, type AuthFixture } from "../support/auth-fixture.js";
import { rpcError } from "../support/rpc-error.js";
import { readStream, waitForStreamCount } from "../support/stream-reader.js";

const PASSWORD = "correct horse battery staple";

/**
 * Decodes bytes with buf and the .proto files alone: no generated code involved.
 * Asynchronously: auth runs in this process, and a blocked event loop would
 * let its keep-alive sockets expire under the client's feet.
 */
async function decodeWithProtoOnly(type: string, bytes: Uint8Array): Promise<unknown> {
  const file = join(mkdtempSync(join(tmpdir(), "event-")), "event.binpb");
  writeFileSync(file, bytes);
  const { stdout } = await promisify(execFile)("npx", ["buf", "convert", "proto", "--type", type, "--from", file, "--to", "-#format=json"], {
    encoding: "utf8",
  });
  return JSON.parse(stdout);
}

describe("auth: register, login and the events they publish", () => {
  let auth: AuthFixture;
  beforeAll(async () => {
    auth = await startAuthFixture();
  });
  afterAll(() => auth.stop());

  it("register writes exactly one UserRegistered to the stream, with CloudEvents headers", async () => {
    const { userId } = await auth.client.register({ email: "  Ada@Example.COM ", password: PASSWORD });
    expect(userId).toMatch(/^[0-9a-f-]{36}$/);
    await waitForStreamCount(natsUrl(), auth.config.AUTH_EVENTS_STREAM, 1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a second copy would show up now
    const events = await readStream(natsUrl(), auth.config.AUTH_EVENTS_STREAM);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.subject).toBe(`${auth.config.AUTH_EVENTS_SUBJECT_PREFIX}.user_registered.v1`);
    expect(event!.headers).toMatchObject({
      "ce-type": "acme.auth.events.v1.UserRegistered",
      "ce-source": "/acme/auth",
      "ce-specversion": "1.0",
      "ce-subject": userId,
      "ce-datacontenttype": "application/protobuf",
    });
    expect(event!.headers["ce-id"]).toBe(event!.headers["nats-msg-id"]);
    expect(event!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const decoded = fromBinary(UserRegisteredSchema, event!.data);
    expect(decoded).toMatchObject({ userId, email: "ada@example.com", revision: 1n });
    expect(await decodeWithProtoOnly("acme.auth.events.v1.UserRegistered", event!.data)).toMatchObject({
      userId,
      email: "ada@example.com",
      revision: "1",
    });
  });

  it("refuses a second account with the same email in another case", async () => {
    await auth.client.register({ email: "grace@example.com", password: PASSWORD });
    const error = await rpcError(auth.client.register({ email: "GRACE@example.com", password: PASSWORD }));
    expect(error).toMatchObject({ code: Code.AlreadyExists, rawMessage: "an account with this email already exists" });
  });

  it.each([
    ["not-an-email", PASSWORD, /email must look like/],
    ["", PASSWORD, /email is required/],
    ["a@b.c\u0000om", PASSWORD, /email must not contain control characters/],
    [`${"x".repeat(250)}@example.com`, PASSWORD, /longer than 254/],
    ["short@example.com", "1234567", /at least 8 characters/],
    ["long@example.com", "p".repeat(129), /at most 128 characters/],
  ])("refuses email %j / a bad password with invalid_argument naming the problem", async (email, password, message) => {
    const error = await rpcError(auth.client.register({ email, password }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(message);
  });

  it("ignores unknown JSON fields as Connect does, and refuses oversized bodies", async () => {
    const post = (body: string) =>
      fetch(`${auth.baseUrl}/acme.auth.v1.AuthService/Register`, { method: "POST", headers: { "content-type": "application/json" }, body });
    // Connect servers skip fields they do not know (newer clients stay compatible); they grant nothing.
    const unknown = await post(JSON.stringify({ email: "x@example.com", password: PASSWORD, isAdmin: true }));
    expect(unknown.status).toBe(200);
    expect(Object.keys((await unknown.json()) as object)).toEqual(["userId"]);
    const malformed = await post("{not json");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "invalid_argument" });
    const huge = await post(JSON.stringify({ email: "y@example.com", password: "p".repeat(200_000) }));
    expect(huge.status).toBe(429);
    expect(await huge.json()).toMatchObject({ code: "resource_exhausted" });
  });

  it("logs in with an EdDSA token that verifies against the published JWKS", async () => {
    const { userId } = await auth.client.register({ email: "linus@example.com", password: PASSWORD });
    const { accessToken, userId: loggedIn } = await auth.client.login({ email: "LINUS@example.com", password: PASSWORD });
    expect(loggedIn).toBe(userId);
    const [header, payload] = accessToken
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));
    expect(header).toMatchObject({ alg: "EdDSA", typ: "JWT" });
    expect(payload).toMatchObject({ sub: userId, iss: "acme-auth", aud: "acme" });
    expect(payload.exp - payload.iat).toBe(900);
    const jwks = (await (await fetch(`${auth.baseUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string; d?: string }> };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true); // never the private part
    const { remoteKeySet, verifyAccessToken } = await import("@acme/kit/auth");
    const claims = await verifyAccessToken(accessToken, remoteKeySet(`${auth.baseUrl}/.well-known/jwks.json`), {
      issuer: "acme-auth",
      audience: "acme",
      maxAgeSeconds: 900,
    });
    expect(claims.userId).toBe(userId);
  });

  it("answers unknown email and wrong password alike", async () => {
    await auth.client.register({ email: "margaret@example.com", password: PASSWORD });
    const wrong = await rpcError(auth.client.login({ email: "margaret@example.com", password: "not the password" }));
    const unknown = await rpcError(auth.client.login({ email: "nobody@example.com", password: "not the password" }));
    expect(wrong).toMatchObject({ code: Code.Unauthenticated, rawMessage: "email or password is incorrect" });
    expect(unknown).toMatchObject({ code: wrong.code, rawMessage: wrong.rawMessage });
  });

  it("rate-limits failed logins per account with resource_exhausted", async () => {
    await auth.client.register({ email: "barbara@example.com", password: PASSWORD });
    // Two typos are free; the third failure makes the account wait (1 s, doubling with each further one).
    for (let i = 0; i < 3; i++) {
      await expect(auth.client.login({ email: "barbara@example.com", password: `wrong ${i}` })).rejects.toMatchObject({ code: Code.Unauthenticated });
    }
    const limited = await rpcError(auth.client.login({ email: "barbara@example.com", password: PASSWORD }));
    expect(limited).toMatchObject({ code: Code.ResourceExhausted });
    expect(limited.rawMessage).toMatch(/too many failed sign-in attempts; try again in \d+ seconds/);
  });

  it("changes email and deletes the account for the signed-in user, publishing each change in order", async () => {
    const { userId } = await auth.client.register({ email: "edsger@example.com", password: PASSWORD });
    const { accessToken } = await auth.client.login({ email: "edsger@example.com", password: PASSWORD });
    const headers = { authorization: `Bearer ${accessToken}` };
    await expect(auth.client.changeEmail({ newEmail: "e@example.com", currentPassword: PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
    await expect(auth.client.changeEmail({ newEmail: "e@example.com", currentPassword: "wrong password" }, { headers })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    expect(await auth.client.changeEmail({ newEmail: "Dijkstra@Example.com", currentPassword: PASSWORD }, { headers })).toMatchObject({
      email: "dijkstra@example.com",
    });
    await auth.client.deleteAccount({ currentPassword: PASSWORD }, { headers });
    await expect(auth.client.login({ email: "dijkstra@example.com", password: PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });

    const deadline = Date.now() + 10_000;
    let mine: Awaited<ReturnType<typeof readStream>> = [];
    while (Date.now() < deadline && mine.length < 3) {
      mine = (await readStream(natsUrl(), auth.config.AUTH_EVENTS_STREAM)).filter((e) => e.headers["ce-subject"] === userId);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(mine.map((e) => e.headers["ce-type"])).toEqual([
      "acme.auth.events.v1.UserRegistered",
      "acme.auth.events.v1.UserEmailChanged",
      "acme.auth.events.v1.UserDeleted",
    ]);
    expect(fromBinary(UserEmailChangedSchema, mine[1]!.data)).toMatchObject({ email: "dijkstra@example.com", revision: 2n });
    expect(fromBinary(UserDeletedSchema, mine[2]!.data)).toMatchObject({ userId, revision: 3n });
  });

  it("keeps the caller's trace id from traceparent into the event", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const { userId } = await auth.client.register(
      { email: "trace@example.com", password: PASSWORD },
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
    );
    const deadline = Date.now() + 10_000;
    let event: Awaited<ReturnType<typeof readStream>>[number] | undefined;
    while (!event && Date.now() < deadline) {
      event = (await readStream(natsUrl(), auth.config.AUTH_EVENTS_STREAM)).find((e) => e.headers["ce-subject"] === userId);
    }
    expect(event?.headers.traceparent).toContain(traceId);
  });
});
