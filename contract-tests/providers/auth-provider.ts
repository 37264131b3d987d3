import "../src/pact-env.js";
import { randomUUID } from "node:crypto";
import { fromBinary, toJson, type JsonValue } from "@bufbuild/protobuf";
import type { MessageDescriptor, MessageProviders, VerifierOptions } from "@pact-foundation/pact";
import { desc, eq } from "drizzle-orm";
import { changeEmail } from "@acme/auth/app/change-email";
import { deleteAccount } from "@acme/auth/app/delete-account";
import { register } from "@acme/auth/app/register";
import { createCredentialRepository } from "@acme/auth/db/credentials-repository";
import { outbox, schema } from "@acme/auth/db/schema";
import { userDeleted, userEmailChanged, userEventBuilder, userRegistered } from "@acme/auth/events/user-events";
import { LoginThrottle } from "@acme/auth/security/login-throttle";
import { createArgon2Hasher } from "@acme/auth/security/password-hasher";
import { MIGRATIONS_FOLDER } from "@acme/auth/service";
import { openDatabase, runMigrations } from "@acme/kit/db";
import type { OutboxEvent } from "@acme/kit/outbox";
import { AUTH_EVENTS, authEventByType, SUBJECT_PREFIX, type AuthEvent } from "../src/auth-events.js";

/** What a message provider hands Pact: the body and the message metadata. */
export interface ProvidedMessage {
  __pactMessageMetadata: Record<string, string>;
  message: JsonValue;
}

/**
 * The message auth really sends, as the pact states it: the proto3 JSON of
 * the protobuf payload auth encoded, and the subject and CloudEvents headers
 * auth wrote beside it.
 */
export function pactMessageOf(event: OutboxEvent): ProvidedMessage {
  const known = authEventByType(event.headers["ce-type"] ?? "");
  if (!known) throw new Error(`auth published ce-type ${event.headers["ce-type"]}, which the contract catalog does not know`);
  const body = toJson(known.schema, fromBinary(known.schema, event.payload));
  return { __pactMessageMetadata: { subject: event.subject, ...event.headers }, message: body };
}

/** Without a provider state: auth's event-building function alone, as the outbox writer calls it. */
function builtDirectly(event: AuthEvent): OutboxEvent {
  const context = { subjectPrefix: SUBJECT_PREFIX };
  const userId = randomUUID();
  const at = new Date();
  if (event.name === "UserRegistered") return userRegistered({ userId, email: "pact@example.com", at }, context);
  if (event.name === "UserEmailChanged") return userEmailChanged({ userId, email: "pact.new@example.com", at, revision: 2 }, context);
  return userDeleted({ userId, at, revision: 2 }, context);
}

type StateHandlers = NonNullable<VerifierOptions["stateHandlers"]>;

/**
 * pact-js answers a throwing message provider with HTTP 500 and the error as
 * JSON, which is `{}` for an Error: Pact would then report only a body
 * mismatch. This error serialises to its message, so the verifier's diff shows
 * why auth could not produce the message.
 */
class ProviderError extends Error {
  toJSON() {
    return { authProviderError: this.message };
  }
}

export interface AuthProvider {
  stateHandlers: StateHandlers;
  messageProviders: MessageProviders;
  close(): Promise<void>;
}

/** The password of every user the scenarios make (ChangeEmail and DeleteAccount ask for it again). */
export const SCENARIO_PASSWORD = "correct horse battery staple";

export interface AuthProviderOptions {
  /**
   * The existing user the email-change and deletion states act on, with
   * SCENARIO_PASSWORD. Default: one registered just now with auth's Register.
   */
  existingUser?: () => Promise<string>;
}

/**
 * Auth as Pact's provider: each provider state runs auth's real use cases
 * (Register, ChangeEmail, DeleteAccount, with argon2id) on a real, migrated
 * auth database, and the message is the outbox row those use cases wrote in
 * their transaction: the event-building code, the repository and the schema
 * on the path from a change to the bytes that leave auth are all checked.
 */
export async function createAuthProvider(databaseUrl: string, options: AuthProviderOptions = {}): Promise<AuthProvider> {
  await runMigrations(databaseUrl, MIGRATIONS_FOLDER, "auth");
  const database = openDatabase(databaseUrl, schema, { max: 2, applicationName: "auth-pact-provider" });
  const deps = {
    store: createCredentialRepository(database.db),
    hasher: createArgon2Hasher(),
    // Auth's real throttle on this database. Each provider state registers as its own
    // client address: a verification of three consumers' pacts, run a few times a minute
    // (breaking-change.test.ts), would otherwise pass auth's 30 registrations per address.
    throttle: new LoginThrottle(database.sql),
    events: userEventBuilder(SUBJECT_PREFIX),
  };
  const useCases = { register: register(deps), changeEmail: changeEmail(deps), deleteAccount: deleteAccount(deps) };
  const registerSomeone = async () =>
    (await useCases.register({ email: `pact-${randomUUID()}@example.com`, password: SCENARIO_PASSWORD, client: `pact-provider-${randomUUID()}` })).userId;
  const existingUser = options.existingUser ?? registerSomeone;

  async function lastOutboxEvent(userId: string): Promise<OutboxEvent> {
    const [row] = await database.db.select().from(outbox).where(eq(outbox.partitionKey, userId)).orderBy(desc(outbox.id)).limit(1);
    if (!row) throw new Error(`auth wrote no outbox row for user ${userId}`);
    return row;
  }

  // Pact sets the state up, asks for the message, tears the state down: one interaction at a time.
  let scenario: { state: string; event?: OutboxEvent; error?: unknown } | undefined;
  const state = (name: string, run: () => Promise<string>) => ({
    setup: async () => {
      scenario = { state: name };
      try {
        scenario.event = await lastOutboxEvent(await run());
      } catch (error) {
        scenario.error = error; // Pact only logs a failing state handler; the message provider reports it
        throw error;
      }
    },
    teardown: async () => {
      scenario = undefined;
    },
  });

  const stateHandlers: StateHandlers = {
    [AUTH_EVENTS[0].state]: state(AUTH_EVENTS[0].state, registerSomeone),
    [AUTH_EVENTS[1].state]: state(AUTH_EVENTS[1].state, async () => {
      const userId = await existingUser();
      await useCases.changeEmail({ userId, newEmail: `pact-${randomUUID()}@example.org`, currentPassword: SCENARIO_PASSWORD });
      return userId;
    }),
    [AUTH_EVENTS[2].state]: state(AUTH_EVENTS[2].state, async () => {
      const userId = await existingUser();
      await useCases.deleteAccount({ userId, currentPassword: SCENARIO_PASSWORD });
      return userId;
    }),
  };

  const produce = (event: AuthEvent) => async (descriptor: MessageDescriptor) => {
    const states = (descriptor.providerStates ?? []).map((s) => s.name);
    if (states.length === 0) return pactMessageOf(builtDirectly(event));
    if (!scenario || scenario.state !== states[0]) throw new ProviderError(`auth has no provider state "${states[0]}"`);
    if (scenario.error) throw new ProviderError(`provider state "${scenario.state}" failed: ${(scenario.error as Error).message}`);
    const published = scenario.event!;
    if (published.headers["ce-type"] !== event.schema.typeName) {
      throw new ProviderError(
        `"${scenario.state}" made auth publish ${published.headers["ce-type"]}, but "${event.description}" is a ${event.schema.typeName}`,
      );
    }
    return pactMessageOf(published);
  };

  return {
    stateHandlers,
    messageProviders: Object.fromEntries(AUTH_EVENTS.map((event) => [event.description, produce(event)])),
    close: () => database.close(),
  };
}
