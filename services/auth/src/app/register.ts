import { randomUUID } from "node:crypto";
import { normaliseEmail } from "../domain/email.js";
import { checkNewPassword } from "../domain/password.js";
import { userRegistered } from "../events/user-events.js";
import type { PasswordHasher } from "../security/password-hasher.js";
import type { CredentialStore } from "./ports.js";

export interface RegisterDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  subjectPrefix: string;
}

export interface RegisterInput {
  email: string;
  password: string;
  traceparent?: string | undefined;
}

/** Creates the account and its UserRegistered event in one transaction. */
export const register = (deps: RegisterDeps) => async (input: RegisterInput): Promise<{ userId: string }> => {
  const email = normaliseEmail(input.email);
  checkNewPassword(input.password);
  const userId = randomUUID();
  const passwordHash = await deps.hasher.hash(input.password);
  const event = userRegistered({ userId, email, at: new Date() }, { subjectPrefix: deps.subjectPrefix, traceparent: input.traceparent });
  await deps.store.create({ userId, email, passwordHash }, event);
  return { userId };
};
