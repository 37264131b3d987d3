import { Code } from "@connectrpc/connect";
import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { freePort } from "@acme/devstack";
import { remoteKeySet, verifyAccessToken } from "../src/auth/access-token.js";

describe("verifyAccessToken", () => {
  it("answers unavailable, not unauthenticated, when auth's JWKS cannot be reached", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
      .setIssuer("acme-auth")
      .setAudience("acme")
      .setSubject("u1")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const nobodyListens = `http://127.0.0.1:${await freePort()}/.well-known/jwks.json`;
    await expect(verifyAccessToken(token, remoteKeySet(nobodyListens), { issuer: "acme-auth", audience: "acme" })).rejects.toMatchObject({
      code: Code.Unavailable,
    });
  });
});
