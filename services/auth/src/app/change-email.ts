import { normaliseEmail } from "../domain/email.js";
import { userEmailChanged } from "../events/user-events.js";
import type { PasswordHasher } from "../security/password-hasher.js";
import type { AttemptBudget, CredentialStore } from "./ports.js";
import { reauthenticate } from "./reauthenticate.js";

export interface ChangeEmailDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  /** The per-account password-check budget Login spends too. */
  throttle: AttemptBudget;
  subjectPrefix: string;
}

export interface ChangeEmailInput {
  userId: string;
  newEmail: string;
  currentPassword: string;
  traceparent?: string | undefined;
}

export const changeEmail = (deps: ChangeEmailDeps) => async (input: ChangeEmailInput): Promise<{ email: string }> => {
  const email = normaliseEmail(input.newEmail);
  const current = await reauthenticate(deps, input.userId, input.currentPassword);
  if (current.email === email) return { email };
  await deps.store.changeEmail(input.userId, email, (revision) =>
    userEmailChanged({ userId: input.userId, email, at: new Date(), revision }, { subjectPrefix: deps.subjectPrefix, traceparent: input.traceparent }),
  );
  return { email };
};
