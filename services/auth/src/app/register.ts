import { randomUUID } from "node:crypto";
import { normaliseEmail } from "../domain/email.js";
import { checkNewPassword, normalisePassword } from "../domain/password.js";
import type { AttemptBudget, CredentialStore, PasswordHasher, UserEventBuilder } from "./ports.js";

export interface RegisterDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  /** Registrations per client address. */
  throttle: Pick<AttemptBudget, "reserveRegistration">;
  events: Pick<UserEventBuilder, "registered">;
}

export interface RegisterInput {
  email: string;
  password: string;
  /** The caller's address, for per-client rate limiting. */
  client: string;
  traceparent?: string | undefined;
}

/**
 * Creates the account and its UserRegistered event in one transaction.
 * Only well-formed requests spend the client's registration budget: they are
 * the ones that cost an argon2id hash.
 */
export const register =
  (deps: RegisterDeps) =>
  async (input: RegisterInput): Promise<{ userId: string }> => {
    const email = normaliseEmail(input.email);
    checkNewPassword(input.password);
    await deps.throttle.reserveRegistration(input.client);
    const userId = randomUUID();
    const passwordHash = await deps.hasher.hash(normalisePassword(input.password));
    const event = deps.events.registered({ userId, email, at: new Date() }, input.traceparent);
    await deps.store.create({ userId, email, passwordHash }, event);
    return { userId };
  };
