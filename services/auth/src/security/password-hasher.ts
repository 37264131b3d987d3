import { hash, verify, type Algorithm } from "@node-rs/argon2";

/**
 * argon2id with OWASP's recommended minimum (m=19 MiB, t=2, p=1), written
 * out so a library upgrade cannot change them silently. The PHC string keeps
 * the parameters, so hashes made with older settings still verify.
 */
export const ARGON2ID_PARAMS = {
  algorithm: 2 as Algorithm, // Algorithm.Argon2id (a const enum, unusable under isolatedModules)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** Spends the time of a real verification, for logins of unknown accounts. */
  verifyNothing(password: string): Promise<void>;
}

export function createArgon2Hasher(): PasswordHasher {
  // A real hash of a random secret: verifying against it costs what a real login costs.
  const decoy = hash(crypto.randomUUID(), ARGON2ID_PARAMS);
  return {
    hash: (password) => hash(password, ARGON2ID_PARAMS),
    verify: (passwordHash, password) => verify(passwordHash, password, ARGON2ID_PARAMS),
    async verifyNothing(password) {
      await verify(await decoy, password, ARGON2ID_PARAMS);
    },
  };
}
