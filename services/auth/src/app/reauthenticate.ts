import { AuthError } from "../domain/errors.js";
import { isPlausiblePassword } from "../domain/password.js";
import type { PasswordHasher } from "../security/password-hasher.js";
import type { Credential, CredentialStore } from "./ports.js";

/** Sensitive changes ask for the password again: a stolen token alone is not enough. */
export async function reauthenticate(store: CredentialStore, hasher: PasswordHasher, userId: string, password: string): Promise<Credential> {
  const credential = await store.findById(userId);
  if (!credential) throw new AuthError("AUTH.ACCOUNT_NOT_FOUND", "the account no longer exists");
  if (!isPlausiblePassword(password) || !(await hasher.verify(credential.passwordHash, password))) {
    throw new AuthError("AUTH.BAD_CREDENTIALS", "current password is incorrect");
  }
  return credential;
}
