import { randomUUID } from "node:crypto";
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTVerifyGetKey } from "jose";
import { ACCESS_TOKEN_ALGORITHM, verifyAccessToken, type AccessTokenClaims } from "@acme/kit/auth";
import type { AccessTokenIssuer, IssuedToken } from "../app/ports.js";

export type { IssuedToken };

export interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
}

/** Where the signing keys live, shared by every auth instance (auth's database). */
export interface SigningKeyStore {
  /** Keys still published: active, or retired less than `keepRetiredMs` ago. */
  list(keepRetiredMs: number): Promise<StoredSigningKey[]>;
  /** Adds `key` and retires older ones, unless another instance rotated since `newestKid`. */
  rotate(key: StoredSigningKey, newestKid: string | undefined): Promise<void>;
  /** Deletes keys retired more than `keepRetiredMs` ago: no token they signed can still be valid. */
  forgetRetired(keepRetiredMs: number): Promise<void>;
}

export interface TokenIssuerOptions {
  store: SigningKeyStore;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  rotateAfterMs: number;
  /** How often an instance rereads the keys (picks up another instance's rotation). */
  refreshMs?: number;
}

/**
 * Signs EdDSA (Ed25519) access tokens and publishes the public keys as JWKS.
 * The newest key signs. A rotated-out key stays in the JWKS for one token
 * lifetime (plus a minute of clock skew), so tokens it signed keep verifying
 * until they expire anyway.
 */
export class TokenIssuer implements AccessTokenIssuer {
  private keys: StoredSigningKey[] = [];
  private loadedAt = 0;
  private localKeySet: JWTVerifyGetKey | undefined;

  constructor(private readonly options: TokenIssuerOptions) {}

  private get keepRetiredMs(): number {
    return (this.options.ttlSeconds + 60) * 1000;
  }

  /** Loads the keys, making (or rotating to) a new one when the newest is too old. */
  async refresh(): Promise<void> {
    await this.options.store.forgetRetired(this.keepRetiredMs);
    let keys = await this.options.store.list(this.keepRetiredMs);
    const newest = keys[0];
    if (!newest || Date.now() - newest.createdAt.getTime() > this.options.rotateAfterMs) {
      await this.options.store.rotate(await newSigningKey(), newest?.kid);
      keys = await this.options.store.list(this.keepRetiredMs);
    }
    this.keys = keys;
    this.localKeySet = createLocalJWKSet(this.jwksNow());
    this.loadedAt = Date.now();
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt > (this.options.refreshMs ?? 60_000)) await this.refresh();
  }

  async issue(userId: string): Promise<IssuedToken> {
    await this.fresh();
    const key = this.keys[0];
    if (!key) throw new Error("no signing key loaded");
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + this.options.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: key.kid, typ: "JWT" })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(await importJWK(key.privateJwk, ACCESS_TOKEN_ALGORITHM));
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** Verifies a token this service issued (for ChangeEmail and DeleteAccount). */
  async verify(token: string): Promise<AccessTokenClaims> {
    await this.fresh();
    return verifyAccessToken(token, this.localKeySet!, {
      issuer: this.options.issuer,
      audience: this.options.audience,
      maxAgeSeconds: this.options.ttlSeconds,
    });
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    return this.jwksNow();
  }

  private jwksNow(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: ACCESS_TOKEN_ALGORITHM, use: "sig" })) };
  }
}

async function newSigningKey(): Promise<StoredSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: "Ed25519", extractable: true });
  return {
    kid: randomUUID(),
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
    createdAt: new Date(),
    retiredAt: null,
  };
}
