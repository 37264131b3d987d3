import type { DescMessage } from "@bufbuild/protobuf";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { PROTOBUF_CONTENT_TYPE } from "@acme/kit/cloudevents";

/**
 * What auth and its consumers agree on besides the body: the names of the
 * interactions and provider states in the pacts, the subject and the
 * CloudEvents type. Consumers still state their own body expectations.
 */
export const PROVIDER = "auth";
export const CONSUMERS = ["profile", "billing", "notifications"] as const;
export type Consumer = (typeof CONSUMERS)[number];

/** The production subject prefix (auth's AUTH_EVENTS_SUBJECT_PREFIX default). */
export const SUBJECT_PREFIX = "auth.events";

export interface AuthEvent {
  name: "UserRegistered" | "UserEmailChanged" | "UserDeleted";
  schema: DescMessage;
  /** The pact interaction's description; the provider looks its producer up by it. */
  description: string;
  /** The provider state: a real scenario that makes auth publish this event. */
  state: string;
  subject: string;
}

function event(name: AuthEvent["name"], schema: DescMessage, snake: string, state: string): AuthEvent {
  return { name, schema, description: `a ${name} event`, state, subject: `${SUBJECT_PREFIX}.${snake}.v1` };
}

export const AUTH_EVENTS = [
  event("UserRegistered", UserRegisteredSchema, "user_registered", "a user has registered"),
  event("UserEmailChanged", UserEmailChangedSchema, "user_email_changed", "a registered user has changed their email"),
  event("UserDeleted", UserDeletedSchema, "user_deleted", "a registered user has deleted their account"),
] as const satisfies readonly AuthEvent[];

export function authEvent(name: AuthEvent["name"]): AuthEvent {
  return AUTH_EVENTS.find((e) => e.name === name)!;
}

export function authEventByType(ceType: string): AuthEvent | undefined {
  return AUTH_EVENTS.find((e) => e.schema.typeName === ceType);
}

export function authEventByDescription(description: string): AuthEvent | undefined {
  return AUTH_EVENTS.find((e) => e.description === description);
}

export { PROTOBUF_CONTENT_TYPE };
