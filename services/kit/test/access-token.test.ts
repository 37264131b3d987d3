import { createServer, type Server } from "node:http";
import { Code } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@acme/devstack";
import { remoteKeySet, verifyAccessToken } from "../src/auth/access-token.js";

const policy = { issuer: "acme-auth", audience: "acme", maxAgeSeconds: 3_600 };

function sign(privateKey: CryptoKey, iat: number, exp: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
    .setIssuer("acme-auth")
    .setAudience("acme")
    .setSubject("u1")
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(privateKey);
}

describe("verifyAccessToken", () => {
  let privateKey: CryptoKey;
  let jwks: Server;
  let answer: { status: number; body: string };
  let jwksUrl: string;

  beforeAll(async () => {
    const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    privateKey = pair.privateKey;
    const keys = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "EdDSA", use: "sig" }] });
    answer = { status: 200, body: keys };
    jwks = createServer((_req, res) => res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  const now = () => Math.floor(Date.now() / 1000);

  it("answers unavailable, not unauthenticated, when auth's JWKS cannot be reached", async () => {
    const token = await sign(privateKey, now(), now() + 300);
    const nobodyListens = `http://127.0.0.1:${await freePort()}/.well-known/jwks.json`;
    await expect(verifyAccessToken(token, remoteKeySet(nobodyListens), policy)).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it.each([
    ["HTTP 500", 500, '{"error":"down"}'],
    ["HTTP 503 with an HTML page", 503, "<html>bad gateway</html>"],
    ["200 with something that is not a JWK set", 200, '{"not":"keys"}'],
    ["200 with invalid JSON", 200, "{"],
  ])("answers unavailable when auth's JWKS answers %s", async (_name, status, body) => {
    const saved = answer;
    answer = { status, body };
    try {
      const token = await sign(privateKey, now(), now() + 300);
      await expect(verifyAccessToken(token, remoteKeySet(jwksUrl), policy)).rejects.toMatchObject({ code: Code.Unavailable });
    } finally {
      answer = saved;
    }
  });

  it("accepts a fresh token and refuses one issued longer ago than the maximum age even though exp is far ahead", async () => {
    const keys = remoteKeySet(jwksUrl);
    await expect(verifyAccessToken(await sign(privateKey, now(), now() + 300), keys, policy)).resolves.toEqual({ userId: "u1" });
    const old = await sign(privateKey, now() - 2 * 3_600, now() + 365 * 86_400);
    await expect(verifyAccessToken(old, keys, policy)).rejects.toMatchObject({
      code: Code.Unauthenticated,
      rawMessage: "the access token was issued too long ago; sign in again",
    });
  });

  it("refuses a token with a kid the reachable JWKS does not publish as unauthenticated", async () => {
    const other = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: "other" })
      .setIssuer("acme-auth")
      .setAudience("acme")
      .setSubject("u1")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(other.privateKey);
    await expect(verifyAccessToken(token, remoteKeySet(jwksUrl), policy)).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});
