import { userDeleted } from "../events/user-events.js";
import type { PasswordHasher } from "../security/password-hasher.js";
import type { AttemptBudget, CredentialStore } from "./ports.js";
import { reauthenticate } from "./reauthenticate.js";

export interface DeleteAccountDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  /** The per-account password-check budget Login spends too. */
  throttle: AttemptBudget;
  subjectPrefix: string;
}

export interface DeleteAccountInput {
  userId: string;
  currentPassword: string;
  traceparent?: string | undefined;
}

/** Removes the credentials; UserDeleted tells every other service to remove its personal data. */
export const deleteAccount = (deps: DeleteAccountDeps) => async (input: DeleteAccountInput): Promise<void> => {
  await reauthenticate(deps, input.userId, input.currentPassword);
  await deps.store.delete(input.userId, (revision) =>
    userDeleted({ userId: input.userId, at: new Date(), revision }, { subjectPrefix: deps.subjectPrefix, traceparent: input.traceparent }),
  );
};
