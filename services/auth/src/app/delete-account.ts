import type { AttemptBudget, CredentialStore, PasswordHasher, UserEventBuilder } from "./ports.js";
import { reauthenticate } from "./reauthenticate.js";

export interface DeleteAccountDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  /** The per-account password-check budget Login spends too. */
  throttle: AttemptBudget;
  events: Pick<UserEventBuilder, "deleted">;
}

export interface DeleteAccountInput {
  userId: string;
  currentPassword: string;
  traceparent?: string | undefined;
}

/** Removes the credentials; UserDeleted tells every other service to remove its personal data. */
export const deleteAccount =
  (deps: DeleteAccountDeps) =>
  async (input: DeleteAccountInput): Promise<void> => {
    await reauthenticate(deps, input.userId, input.currentPassword);
    await deps.store.delete(input.userId, (revision) => deps.events.deleted({ userId: input.userId, at: new Date(), revision }, input.traceparent));
  };
