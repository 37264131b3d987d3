import { AuthError } from "../domain/errors.js";
import { normaliseEmail } from "../domain/email.js";
import { isPlausiblePassword } from "../domain/password.js";
import type { LoginThrottle } from "../security/login-throttle.js";
import type { PasswordHasher } from "../security/password-hasher.js";
import type { IssuedToken, TokenIssuer } from "../security/token-issuer.js";
import type { CredentialStore } from "./ports.js";

export interface LoginDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  tokens: Pick<TokenIssuer, "issue">;
  throttle: LoginThrottle;
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
 * work (an argon2id verification either way), so neither the message nor the
 * timing tells whether an account exists.
 */
export const login = (deps: LoginDeps) => async (input: LoginInput): Promise<IssuedToken & { userId: string }> => {
  let email: string;
  try {
    email = normaliseEmail(input.email);
  } catch {
    throw badCredentials();
  }
  deps.throttle.check(email, input.client);
  if (!isPlausiblePassword(input.password)) {
    deps.throttle.recordFailure(email, input.client);
    throw badCredentials();
  }
  const credential = await deps.store.findByEmail(email);
  const valid = credential
    ? await deps.hasher.verify(credential.passwordHash, input.password)
    : (await deps.hasher.verifyNothing(input.password), false);
  if (!credential || !valid) {
    deps.throttle.recordFailure(email, input.client);
    throw badCredentials();
  }
  deps.throttle.recordSuccess(email);
  return { ...(await deps.tokens.issue(credential.userId)), userId: credential.userId };
};
