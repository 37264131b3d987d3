import "./pact-env.js";
import { MatchersV3 } from "@pact-foundation/pact";

/**
 * Matchers for values as the proto3 canonical JSON mapping writes them (the
 * pact body is that JSON): a consumer states the shape it relies on, not
 * auth's example values.
 */
function shaped(pattern: RegExp, example: string) {
  // Pact does not check a regex matcher's example; a wrong one would mislead every reader of the pact.
  if (!pattern.test(example)) throw new Error(`example ${JSON.stringify(example)} does not match ${pattern}`);
  return MatchersV3.regex(pattern, example);
}

export const userIdLike = (example: string) => MatchersV3.uuid(example);

/** What the consumers' event checks accept (requireEmail): something with an @. */
export const emailLike = (example: string) => shaped(/^[^@\s]+@[^@\s]+$/, example);

/** google.protobuf.Timestamp: RFC 3339 in UTC, with 0, 3, 6 or 9 fractional digits. */
export const timestampLike = (example: string) => shaped(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$/, example);

/** uint64 is a decimal string in proto3 JSON; revisions start at 1. */
export const revisionLike = (example: string) => shaped(/^[1-9][0-9]*$/, example);
