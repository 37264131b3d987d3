import { AuthError } from "../domain/errors.js";
import { isPlausiblePassword, normalisePassword } from "../domain/password.js";
import type { AttemptBudget, Credential, CredentialStore, PasswordHasher } from "./ports.js";

/**
 * Sensitive changes ask for the password again: a stolen token alone is not
 * enough. The check spends the same per-account budget as Login, so a
 * stolen token cannot be used to guess the password faster.
 */
export async function reauthenticate(
  deps: { store: CredentialStore; hasher: PasswordHasher; throttle: AttemptBudget },
  userId: string,
  password: string,
): Promise<Credential> {
  const credential = await deps.store.findById(userId);
  if (!credential) throw new AuthError("AUTH.ACCOUNT_NOT_FOUND", "the account no longer exists");
  const attempt = await deps.throttle.reservePasswordCheck(credential.email);
  try {
    if (!isPlausiblePassword(password) || !(await checkPassword(deps.hasher, credential.passwordHash, password))) {
      throw new AuthError("AUTH.BAD_CREDENTIALS", "current password is incorrect");
    }
    await attempt.succeeded();
    return credential;
  } finally {
    await attempt.failed();
  }
}

/**
 * Verifies the NFC form; a password stored before normalisation was hashed
 * as typed, so when the forms differ that one is tried too.
 */
export async function checkPassword(hasher: PasswordHasher, passwordHash: string, password: string): Promise<boolean> {
  const normalised = normalisePassword(password);
  if (await hasher.verify(passwordHash, normalised)) return true;
  return normalised !== password && hasher.verify(passwordHash, password);
}
