import "../src/pact-env.js";
import { join } from "node:path";
import { PactV4, MatchersV3 } from "@pact-foundation/pact";
import { PACT_LOG_LEVEL } from "../src/pact-env.js";
import { authEvent, PROTOBUF_CONTENT_TYPE, PROVIDER, type AuthEvent, type Consumer } from "../src/auth-events.js";
import { pactFileName } from "../src/pact-files.js";
import type { PactMessage } from "./deliver.js";

/** One event a consumer needs, stated from its side. */
export interface ConsumedEvent {
  event: AuthEvent["name"];
  /** Only the body fields this consumer uses, with matchers; auth may send more. */
  body: Record<string, unknown>;
  /** Runs the consumer's real handler on the message and checks the effect; throws if it is wrong. */
  check(message: PactMessage): Promise<void>;
}

export interface ConsumerContract {
  consumer: Consumer;
  events: ConsumedEvent[];
}

const EXAMPLE_EVENT_ID = "0b5d6c1e-2f3a-4b7c-8d9e-0a1b2c3d4e5f";

/**
 * The NATS message around the body, as every consumer's decoder needs it:
 * the subject, `ce-type` (it routes on it), `ce-id` (its inbox key) and the
 * wire content type (it refuses anything but protobuf). The pact's own
 * content type is application/json: the body in the pact is the proto3 JSON
 * of the protobuf message that travels.
 */
export function messageMetadata(event: AuthEvent) {
  return {
    subject: event.subject,
    "ce-type": event.schema.typeName,
    "ce-id": MatchersV3.uuid(EXAMPLE_EVENT_ID),
    "ce-datacontenttype": PROTOBUF_CONTENT_TYPE,
  };
}

/**
 * Runs one interaction through Pact's core: Pact hands the example message to
 * `check`, and writes (merges) the interaction into DIR/<consumer>-auth.json
 * only if the check passed.
 */
export async function runInteraction(contract: ConsumerContract, consumed: ConsumedEvent, dir: string): Promise<void> {
  const event = authEvent(consumed.event);
  const pact = new PactV4({ consumer: contract.consumer, provider: PROVIDER, dir, logLevel: PACT_LOG_LEVEL });
  await pact
    .addAsynchronousInteraction()
    .given(event.state)
    .expectsToReceive(event.description, (builder) => builder.withJSONContent(consumed.body).withMetadata(messageMetadata(event)))
    .executeTest((message) => consumed.check(message));
}

/** Every interaction of the contract, in order; returns the pact file written. */
export async function writeConsumerPact(contract: ConsumerContract, dir: string): Promise<string> {
  for (const consumed of contract.events) await runInteraction(contract, consumed, dir);
  return join(dir, pactFileName(contract.consumer));
}
