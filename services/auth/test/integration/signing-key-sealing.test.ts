import { randomBytes } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { remoteKeySet, verifyAccessToken } from "@acme/kit/auth";
import { runMigrations } from "@acme/kit/db";
import { createLogger } from "@acme/kit/logging";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";
import { firstMigrations } from "@acme/testing/migrations";
import { loadConfig } from "../../src/config.js";
import { KeySealer } from "../../src/security/key-sealer.js";
import { MIGRATIONS_FOLDER, startAuthService } from "../../src/service.js";

describe("signing keys sealed at rest", () => {
  let db: TestDatabase | undefined;
  afterAll(() => db?.drop());

  it("seals a key an older auth stored in plain text, keeps signing with it, and refuses to start with another key", async () => {
    db = await createTestDatabase("auth_sealing");
    await runMigrations(db.url, await firstMigrations(MIGRATIONS_FOLDER, 3), "auth"); // the schema before sealing existed
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const legacy = { kid: "legacy-key", privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    await sql`insert into signing_keys (kid, private_jwk, public_jwk) values (${legacy.kid}, ${sql.json(legacy.privateJwk as never)}, ${sql.json(legacy.publicJwk as never)})`;

    const key = randomBytes(32).toString("base64");
    const ns = testNamespace();
    const env = {
      DATABASE_URL: db.url,
      NATS_URL: natsUrl(),
      PORT: "0",
      LOG_LEVEL: "silent",
      AUTH_EVENTS_STREAM: ns.stream("AUTH_EVENTS"),
      AUTH_EVENTS_SUBJECT_PREFIX: ns.subjectPrefix("auth.events"),
      AUTH_KEY_ENCRYPTION_KEY: key,
    };
    try {
      const auth = await startAuthService(loadConfig(env), createLogger("auth", "silent"));
      try {
        const [row] = await sql<
          { private_jwk: unknown; sealed_private_jwk: string }[]
        >`select private_jwk, sealed_private_jwk from signing_keys where kid = ${legacy.kid}`;
        expect(row!.private_jwk).toBeNull();
        expect(new KeySealer(Buffer.from(key, "base64")).unseal<JWK>(legacy.kid, row!.sealed_private_jwk)).toEqual(legacy.privateJwk);
        // The sealed legacy key still signs (it is the newest), and the JWKS still publishes it.
        const jwks = (await (await fetch(`http://127.0.0.1:${auth.port}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
        expect(jwks.keys.map((k) => k.kid)).toContain(legacy.kid);
        const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${auth.port}`, httpVersion: "1.1" }));
        await client.register({ email: "sealed@example.com", password: "correct horse battery staple" });
        const { accessToken } = await client.login({ email: "sealed@example.com", password: "correct horse battery staple" });
        const verified = await verifyAccessToken(accessToken, remoteKeySet(`http://127.0.0.1:${auth.port}/.well-known/jwks.json`), {
          issuer: "acme-auth",
          audience: "acme",
          maxAgeSeconds: 900,
        });
        expect(verified.userId).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        await auth.stop();
      }

      const wrongKey = { ...env, AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64") };
      await expect(startAuthService(loadConfig(wrongKey), createLogger("auth", "silent"))).rejects.toThrow(
        `cannot unseal signing key ${legacy.kid}: AUTH_KEY_ENCRYPTION_KEY is not the key it was sealed with, or the stored key was altered`,
      );
      expect(() => loadConfig({ ...env, AUTH_KEY_ENCRYPTION_KEY: undefined })).toThrow(/AUTH_KEY_ENCRYPTION_KEY: is required/);
      expect(() => loadConfig({ ...env, AUTH_KEY_ENCRYPTION_KEY: "dG9vIHNob3J0" })).toThrow(/AUTH_KEY_ENCRYPTION_KEY: must be 32 bytes/);
    } finally {
      await sql.end();
    }
  });

  it("deletes retired keys once no token they signed can still be valid (one token lifetime and a minute), keeps younger ones", async () => {
    const sql = postgres(db!.url, { max: 1, onnotice: () => {} });
    const key = randomBytes(32).toString("base64");
    const sealer = new KeySealer(Buffer.from(key, "base64"));
    const ns = testNamespace();
    try {
      await sql`delete from signing_keys`;
      for (const [kid, retiredSecondsAgo] of [
        ["retired-long-ago", 961],
        ["retired-just-now", 30],
      ] as const) {
        const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
        await sql`insert into signing_keys (kid, sealed_private_jwk, public_jwk, created_at, retired_at)
          values (${kid}, ${sealer.seal(kid, await exportJWK(privateKey))}, ${sql.json((await exportJWK(publicKey)) as never)}, now() - interval '1 day', now() - ${`${retiredSecondsAgo} seconds`}::interval)`;
      }
      const env = {
        DATABASE_URL: db!.url,
        NATS_URL: natsUrl(),
        PORT: "0",
        LOG_LEVEL: "silent",
        AUTH_EVENTS_STREAM: ns.stream("AUTH_EVENTS"),
        AUTH_EVENTS_SUBJECT_PREFIX: ns.subjectPrefix("auth.events"),
        AUTH_KEY_ENCRYPTION_KEY: key,
        ACCESS_TOKEN_TTL_SECONDS: "900",
      };
      const auth = await startAuthService(loadConfig(env), createLogger("auth", "silent"));
      await auth.stop();
      const kids = (await sql<{ kid: string }[]>`select kid from signing_keys where retired_at is not null order by kid`).map((r) => r.kid);
      expect(kids).toEqual(["retired-just-now"]);
    } finally {
      await sql.end();
    }
  });
});
