import { inSpan, type Tracer } from "@acme/kit/observability";
import type { PasswordHasher } from "./password-hasher.js";

/**
 * The hasher with a span per argon2id call: hashing is most of what
 * Register and Login cost, and the trace should show it. The spans carry
 * no attribute at all: never the password, never the hash.
 */
export function tracedHasher(hasher: PasswordHasher, tracer: Tracer): PasswordHasher {
  return {
    hash: (password) => inSpan(tracer, "argon2id hash", {}, () => hasher.hash(password)),
    verify: (passwordHash, password) => inSpan(tracer, "argon2id verify", {}, () => hasher.verify(passwordHash, password)),
    verifyNothing: (password) => inSpan(tracer, "argon2id verify", {}, () => hasher.verifyNothing(password)),
  };
}
