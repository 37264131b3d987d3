import { hash, verify, type Algorithm } from "@node-rs/argon2";
import { Counter, type Registry } from "prom-client";
import type { PasswordHasher } from "../app/ports.js";

export type { PasswordHasher };

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

/**
 * At most as many hashes at a time as libuv's thread pool has threads (4
 * unless UV_THREADPOOL_SIZE says otherwise). More would only queue in that
 * pool, ahead of everything else the process runs there (DNS lookups, file
 * reads); fewer leaves a core idle while a finished hash waits for the event
 * loop to start the next (measured: one per core gave about 5 points less).
 */
function limitConcurrency(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

export function createArgon2Hasher(concurrency = Number(process.env.UV_THREADPOOL_SIZE ?? 4)): PasswordHasher {
  const limited = limitConcurrency(concurrency);
  // A real hash of a random secret: verifying against it costs what a real login costs.
  const decoy = hash(crypto.randomUUID(), ARGON2ID_PARAMS);
  return {
    hash: (password) => limited(() => hash(password, ARGON2ID_PARAMS)),
    verify: (passwordHash, password) => limited(() => verify(passwordHash, password, ARGON2ID_PARAMS)),
    async verifyNothing(password) {
      const decoyHash = await decoy;
      await limited(() => verify(decoyHash, password, ARGON2ID_PARAMS));
    },
  };
}

/**
 * Counts argon2id verifications (auth_password_verifications_total on
 * /metrics): what the login throttle must bound, observable from outside.
 */
export function countVerifications(hasher: PasswordHasher, registry: Registry): PasswordHasher {
  const verifications = new Counter({
    name: "auth_password_verifications_total",
    help: "argon2id password verifications run (logins of unknown accounts included).",
    registers: [registry],
  });
  return {
    hash: (password) => hasher.hash(password),
    verify: (passwordHash, password) => {
      verifications.inc();
      return hasher.verify(passwordHash, password);
    },
    verifyNothing: (password) => {
      verifications.inc();
      return hasher.verifyNothing(password);
    },
  };
}
