import { describe, expect, it } from "vitest";
import { UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { profileEventRoutes } from "@acme/profile/events/subscription";
import { decodePactMessage } from "../consumers/deliver.js";
import { CONSUMERS } from "../src/auth-events.js";
import { committedPactPath, readPact, type PactFile, type PactInteraction } from "../src/pact-files.js";
import { pactProtoProblems } from "../src/pact-proto-fields.js";

const registered = (content: unknown, rules: Record<string, unknown> = {}): PactFile => ({
  consumer: { name: "billing" },
  provider: { name: "auth" },
  metadata: {},
  interactions: [
    {
      type: "Asynchronous/Messages",
      description: "a UserRegistered event",
      contents: { content, contentType: "application/json" },
      metadata: { "ce-type": "acme.auth.events.v1.UserRegistered" },
      matchingRules: { body: rules },
    } satisfies PactInteraction,
  ],
});

describe("every field a pact names exists in the event's .proto", () => {
  it.each(CONSUMERS)("the committed pact of %s names only fields of acme.auth.events.v1", (consumer) => {
    const pact = readPact(committedPactPath(consumer));
    expect(pact.interactions.length).toBeGreaterThan(0);
    expect(pactProtoProblems(pact)).toEqual([]);
  });

  it("accepts the proto3 JSON of a full UserRegistered", () => {
    const content = { userId: "u", email: "a@b", registeredAt: "2026-01-01T00:00:00Z", revision: "1" };
    expect(pactProtoProblems(registered(content, { "$.email": {}, "$.registeredAt": {} }))).toEqual([]);
  });

  it("names a field the message does not have, with the fields it does have", () => {
    expect(pactProtoProblems(registered({ userId: "u", mail: "a@b" }))).toEqual([
      'billing: "a UserRegistered event": $.mail: acme.auth.events.v1.UserRegistered has no field "mail" (it has: userId, email, registeredAt, revision)',
    ]);
  });

  it("points from a .proto field name to its proto3 JSON name", () => {
    expect(pactProtoProblems(registered({ user_id: "u" }))[0]).toContain('has no field "user_id" (its proto3 JSON name is "userId")');
  });

  it("knows a Timestamp is a string and a uint64 a decimal string in proto3 JSON", () => {
    const problems = pactProtoProblems(registered({ registeredAt: { seconds: "1" }, revision: 1 }));
    expect(problems).toEqual([
      'billing: "a UserRegistered event": $.registeredAt: is google.protobuf.Timestamp, a JSON string in proto3 JSON; the pact has a object',
      'billing: "a UserRegistered event": $.revision: is uint64 in the .proto, a JSON string in proto3 JSON; the pact has a number',
    ]);
  });

  it("checks the paths of matching rules too", () => {
    const problems = pactProtoProblems(registered({ userId: "u" }, { "$.contact.email": {}, "$.registeredAt.seconds": {} }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('$.contact.email: acme.auth.events.v1.UserRegistered has no field "contact"');
    expect(problems[1]).toContain("$.registeredAt.seconds: goes inside google.protobuf.Timestamp, which has no fields in proto3 JSON");
  });

  it("refuses a ce-type that is not an auth event, and a description auth produces as another event", () => {
    const pact = registered({ userId: "u" });
    pact.interactions[0]!.metadata = { "ce-type": "acme.auth.events.v1.UserRenamed" };
    expect(pactProtoProblems(pact)[0]).toContain('ce-type "acme.auth.events.v1.UserRenamed" is not a message of acme.auth.events.v1');
    pact.interactions[0]!.metadata = { "ce-type": "acme.auth.events.v1.UserDeleted" };
    expect(pactProtoProblems(pact)[0]).toContain('auth produces "a UserRegistered event" as another event');
  });
});

describe("a consumer decodes a pact message as the real consumer would", () => {
  const message = (content: unknown, metadata: Record<string, string>) => ({ contents: { content }, metadata }) as never;
  const headers = {
    subject: "auth.events.user_registered.v1",
    "ce-type": "acme.auth.events.v1.UserRegistered",
    "ce-id": "0b5d6c1e-2f3a-4b7c-8d9e-0a1b2c3d4e5f",
    "ce-datacontenttype": "application/protobuf",
  };

  it("parses the proto3 JSON into the generated type", () => {
    const event = decodePactMessage(message({ userId: "u", email: "a@b", revision: "7" }, headers), UserRegisteredSchema, profileEventRoutes());
    expect(event).toMatchObject({ $typeName: "acme.auth.events.v1.UserRegistered", userId: "u", email: "a@b", revision: 7n });
  });

  it("refuses a body field the .proto does not have", () => {
    expect(() => decodePactMessage(message({ mail: "a@b" }, headers), UserRegisteredSchema, profileEventRoutes())).toThrow(/mail/);
  });

  it("refuses metadata the consumer's decoder would skip or dead-letter", () => {
    const decode = (metadata: Record<string, string>) => () =>
      decodePactMessage(message({ userId: "u" }, metadata), UserRegisteredSchema, profileEventRoutes());
    expect(decode({ ...headers, "ce-type": "acme.auth.events.v1.UserRenamed" })).toThrow(/no route for acme.auth.events.v1.UserRenamed/);
    expect(decode({ ...headers, "ce-datacontenttype": "application/json" })).toThrow(/dead-letter this message \(undecodable\)/);
    const { "ce-id": _id, ...withoutId } = headers;
    expect(decode(withoutId)).toThrow(/dead-letter this message \(missing-header\)/);
  });
});
