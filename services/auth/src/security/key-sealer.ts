import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";

/** AUTH_KEY_ENCRYPTION_KEY: 32 random bytes, base64 (e.g. `openssl rand -base64 32`). */
export const keyEncryptionKeySchema = z
  .string({ error: "is required: 32 random bytes, base64 (openssl rand -base64 32)" })
  .transform((value) => Buffer.from(value.trim(), "base64"))
  .refine((key) => key.length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)");

const VERSION = "v1";

/**
 * AES-256-GCM around a signing key's private JWK, so a copy of auth's
 * database (a backup, a replica, a leaked dump) does not hold a key that can
 * mint tokens. The key id is the additional authenticated data: a sealed
 * key copied onto another row does not open.
 * Format: `v1.<iv>.<ciphertext>.<tag>`, each base64url.
 */
export class KeySealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("the key encryption key must be 32 bytes");
  }

  seal(kid: string, secret: object): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(kid));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secret), "utf8"), cipher.final()]);
    return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
  }

  /** Throws UnsealError when the key is not the one it was sealed with, or the text was altered. */
  unseal<T>(kid: string, sealed: string): T {
    const [version, iv, ciphertext, tag] = sealed.split(".");
    if (version !== VERSION || !iv || !ciphertext || !tag) throw new UnsealError(kid, "it is not in the sealed format");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(kid));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
      return JSON.parse(plain.toString("utf8")) as T;
    } catch {
      throw new UnsealError(kid, "AUTH_KEY_ENCRYPTION_KEY is not the key it was sealed with, or the stored key was altered");
    }
  }
}

export class UnsealError extends Error {
  constructor(kid: string, why: string) {
    super(`cannot unseal signing key ${kid}: ${why}. Start auth with the AUTH_KEY_ENCRYPTION_KEY it ran with before`);
    this.name = "UnsealError";
  }
}
