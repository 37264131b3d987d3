import { createHash, createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from "jose";

export interface TokenIssuerStub {
  /** Where the JWKS is served, for AUTH_JWKS_URL. */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A token as auth issues it. */
  token(userId: string, claims?: { issuer?: string; audience?: string; expiresInSeconds?: number; kid?: string }): Promise<string>;
  /** Forged tokens a service must refuse. */
  attacks(userId: string): Promise<Record<"algNone" | "hs256WithPublicKey" | "expired" | "wrongAudience" | "wrongIssuer" | "unknownKid", string>>;
  close(): Promise<void>;
}

/**
 * Stands in for auth's token side in tests: an Ed25519 key, its JWKS on a
 * local HTTP server, and tokens with auth's claims (iss, aud, sub, iat, exp,
 * kid). Also builds the classic forgeries.
 */
export async function startTokenIssuerStub(options: { issuer?: string; audience?: string } = {}): Promise<TokenIssuerStub> {
  const issuer = options.issuer ?? "acme-auth";
  const audience = options.audience ?? "acme";
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const publicJwk: JWK = await exportJWK(publicKey);
  const kid = createHash("sha256").update(JSON.stringify(publicJwk)).digest("base64url").slice(0, 16);
  const jwks = { keys: [{ ...publicJwk, kid, alg: "EdDSA", use: "sig" }] };

  const server: Server = createServer((req, res) => {
    if (req.url !== "/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/jwk-set+json" });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const sign = (key: CryptoKey, userId: string, c: { issuer?: string; audience?: string; expiresInSeconds?: number; kid?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: c.kid ?? kid, typ: "JWT" })
      .setIssuer(c.issuer ?? issuer)
      .setAudience(c.audience ?? audience)
      .setSubject(userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) + Math.min(0, c.expiresInSeconds ?? 0) - 60)
      .setExpirationTime(Math.floor(Date.now() / 1000) + (c.expiresInSeconds ?? 900))
      .sign(key);

  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    token: (userId, claims) => sign(privateKey, userId, claims),
    async attacks(userId) {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, aud: audience, sub: userId, iat: now, exp: now + 900 };
      const algNone = new UnsecuredJWT(claims).encode();
      // The "key confusion" forgery: HS256 keyed with the bytes of the public key.
      const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT", kid })).toString("base64url");
      const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
      const signature = createHmac("sha256", await exportSPKI(publicKey))
        .update(`${header}.${body}`)
        .digest("base64url");
      const other = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      return {
        algNone,
        hs256WithPublicKey: `${header}.${body}.${signature}`,
        expired: await sign(privateKey, userId, { expiresInSeconds: -120 }),
        wrongAudience: await sign(privateKey, userId, { audience: "someone-else" }),
        wrongIssuer: await sign(privateKey, userId, { issuer: "evil-auth" }),
        unknownKid: await sign(other.privateKey, userId, { kid: "not-published" }),
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
