import type { AccessTokenClaims } from "@acme/kit/auth";
import { changeEmail } from "./change-email.js";
import { deleteAccount } from "./delete-account.js";
import { login } from "./login.js";
import type { AccessTokenIssuer, AttemptBudget, CredentialStore, PasswordHasher, UserEventBuilder } from "./ports.js";
import { register } from "./register.js";

export interface AuthUseCaseDeps {
  store: CredentialStore;
  hasher: PasswordHasher;
  tokens: AccessTokenIssuer;
  throttle: AttemptBudget;
  events: UserEventBuilder;
}

/** Auth's use cases bound to their dependencies: what the RPC layer calls. */
export function createUseCases(deps: AuthUseCaseDeps) {
  return {
    register: register(deps),
    login: login(deps),
    changeEmail: changeEmail(deps),
    deleteAccount: deleteAccount(deps),
    verifyToken: (token: string): Promise<AccessTokenClaims> => deps.tokens.verify(token),
  };
}

export type AuthUseCases = ReturnType<typeof createUseCases>;
