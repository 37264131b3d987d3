import { normaliseEmail } from "../domain/email.js";
import type { AttemptBudget, CredentialStore, PasswordHasher, UserEventBuilder } from "./ports.js";
import { reauthenticate } from "./reauthenticate.js";

export interface ChangeEmailDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  /** The per-account password-check budget Login spends too. */
  throttle: AttemptBudget;
  events: Pick<UserEventBuilder, "emailChanged">;
}

export interface ChangeEmailInput {
  userId: string;
  newEmail: string;
  currentPassword: string;
  traceparent?: string | undefined;
}

export const changeEmail =
  (deps: ChangeEmailDeps) =>
  async (input: ChangeEmailInput): Promise<{ email: string }> => {
    const email = normaliseEmail(input.newEmail);
    const current = await reauthenticate(deps, input.userId, input.currentPassword);
    if (current.email === email) return { email };
    await deps.store.changeEmail(input.userId, email, (revision) =>
      deps.events.emailChanged({ userId: input.userId, email, at: new Date(), revision }, input.traceparent),
    );
    return { email };
  };
