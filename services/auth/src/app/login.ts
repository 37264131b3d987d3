import { AuthError } from "../domain/errors.js";
import { normaliseEmail } from "../domain/email.js";
import { isPlausiblePassword } from "../domain/password.js";
import type { AccessTokenIssuer, AttemptBudget, CredentialStore, IssuedToken, PasswordHasher } from "./ports.js";
import { checkPassword } from "./reauthenticate.js";

export interface LoginDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  tokens: Pick<AccessTokenIssuer, "issue">;
  throttle: AttemptBudget;
}

export interface LoginInput {
  email: string;
  password: string;
  /** The caller's address, for per-client rate limiting. */
  client: string;
}

const badCredentials = () => new AuthError("AUTH.BAD_CREDENTIALS", "email or password is incorrect");

/**
 * Unknown email and wrong password fail with the same error after the same
 * work (an argon2id verification either way), and the throttle keys on the
 * email typed, so neither the message, the timing nor the throttle tells
 * whether an account exists. The attempt is reserved before any hashing.
 */
export const login =
  (deps: LoginDeps) =>
  async (input: LoginInput): Promise<IssuedToken & { userId: string }> => {
    let email: string;
    try {
      email = normaliseEmail(input.email);
    } catch {
      throw badCredentials();
    }
    const attempt = await deps.throttle.reservePasswordCheck(email, input.client);
    try {
      const credential = isPlausiblePassword(input.password) ? await deps.store.findByEmail(email) : undefined;
      let valid = false;
      if (credential) valid = await checkPassword(deps.hasher, credential.passwordHash, input.password);
      else if (isPlausiblePassword(input.password)) await deps.hasher.verifyNothing(input.password);
      if (!credential || !valid) throw badCredentials();
      await attempt.succeeded();
      return { ...(await deps.tokens.issue(credential.userId)), userId: credential.userId };
    } finally {
      await attempt.failed(); // no-op after succeeded(); otherwise the account waits its delay
    }
  };
