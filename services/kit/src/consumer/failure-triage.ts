import { BatchFailure } from "./apply-batch.js";
import { PermanentEventError } from "./event-route.js";

/** What to do after a batch transaction failed while the database answers. */
export type Triage<P> =
  /** A batch of one: that event failed, with this cause. */
  | { kind: "fail"; pending: P; cause: unknown }
  /** The handler refused this event for good: set it aside, retry the others together. */
  | { kind: "set-aside"; pending: P; cause: unknown }
  /** Anything else: pin the culprit down by applying each event in a transaction of its own. */
  | { kind: "one-by-one" };

/**
 * Decides, from the error a batch failed with, how to go on, so that a
 * neighbour's fault never costs an event one of its deliveries.
 */
export function triageFailure<P extends { event: { meta: { id: string } } }>(pending: P[], error: unknown): Triage<P> {
  const cause = error instanceof BatchFailure ? error.cause : error;
  if (pending.length === 1) return { kind: "fail", pending: pending[0]!, cause };
  const culprit = error instanceof BatchFailure ? pending.find((p) => p.event.meta.id === error.eventId) : undefined;
  if (culprit && cause instanceof PermanentEventError) return { kind: "set-aside", pending: culprit, cause };
  return { kind: "one-by-one" };
}
