import { authEventsSince, type AuthEvent } from "./invariant.js";
import type { FaultSystem } from "./system.js";

/** The mails each kind of auth event asks notifications for: one per template. */
const TEMPLATES: Record<AuthEvent["kind"], string[]> = {
  register: ["welcome"],
  "change-email": ["email-changed-notice", "email-changed-confirmation"],
  delete: ["goodbye"],
};

/** notifications' Message-ID is `<event-id.template@domain>`: stable across every attempt, the receiver's dedupe key. */
export function eventOfMessageId(messageId: string): { eventId: string; template: string } | undefined {
  const match = /^<([^.@<>]+)\.([a-z-]+)@[^>]+>$/.exec(messageId.trim());
  return match ? { eventId: match[1]!, template: match[2]! } : undefined;
}

export interface MailVerdict {
  /** Mails the scenario's committed events call for (one per event and template), less those skipped by design. */
  expected: number;
  /** Expected Message-IDs the sink received at least once. */
  delivered: number;
  /**
   * Further copies of a Message-ID the sink already had: at least once means
   * a sender killed between the server's acceptance and its mark sends again,
   * under the same Message-ID. Allowed, and counted.
   */
  copies: number;
  /** Expected mails the sink never received (or that notifications marked failed). */
  lost: number;
  /**
   * Mails notifications rightly did not plan: a newer revision of the user was
   * applied first (a redelivery after a crash overtook it), or a deletion came
   * before the registration it would say goodbye to.
   */
  skipped: number;
  /** Mails in the sink for this scenario's events that no event calls for (a template too many). */
  unexpected: number;
  problems: string[];
}

/**
 * Every write auth committed in this scenario (every OK write, and any
 * unknown-outcome write that did commit) ends as exactly one distinct
 * Message-ID per template in the mail sink. A mail notifications did not
 * plan for an event it applied is accepted only when the order it applied
 * the user's events in explains it (mail-plan.ts: nothing for a revision
 * older than one already applied, no goodbye to a user never seen); the
 * order comes from its "event applied" lines (FaultSystem). Everything else
 * missing is lost.
 */
export async function checkMails(system: FaultSystem, floor: number): Promise<MailVerdict> {
  const events = await authEventsSince(system, floor);
  const verdict: MailVerdict = { expected: 0, delivered: 0, copies: 0, lost: 0, skipped: 0, unexpected: 0, problems: [] };
  const problem = (text: string) => verdict.problems.length < 20 && verdict.problems.push(text);
  const eventIds = events.map((e) => e.eventId);
  const sql = system.sql("notifications");
  const applied = new Set((await sql<{ event_id: string }[]>`select event_id from processed_events where event_id = any(${eventIds})`).map((r) => r.event_id));
  const planned = new Map(
    (
      await sql<{ event_id: string; template: string; message_id: string; status: string; last_error: string | null }[]>`
      select event_id, template, message_id, status, last_error from mails where event_id = any(${eventIds})`
    ).map((r) => [`${r.event_id}/${r.template}`, r]),
  );
  /**
   * Whether notifications applied `o` before `e`, from the order of its
   * "event applied" lines; undefined when a line is missing (its process was
   * killed between COMMIT and the log line) and `o` was applied: then either
   * order is taken as possible.
   */
  const appliedBefore = (o: AuthEvent, e: AuthEvent): boolean | undefined => {
    if (!applied.has(o.eventId)) return false;
    const [a, b] = [system.notificationsApplyOrder.get(o.eventId), system.notificationsApplyOrder.get(e.eventId)];
    return a === undefined || b === undefined ? undefined : a < b;
  };
  const copiesOf = new Map<string, number>();
  for (const id of await system.sunkMessageIds()) copiesOf.set(id, (copiesOf.get(id) ?? 0) + 1);
  const byUser = new Map<string, AuthEvent[]>();
  for (const e of events) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
  const expectedIds = new Set<string>();

  for (const e of events) {
    const wasApplied = applied.has(e.eventId);
    for (const template of TEMPLATES[e.kind]) {
      const row = planned.get(`${e.eventId}/${template}`);
      if (!row) {
        const others = byUser.get(e.userId)!.filter((o) => o !== e);
        const overtaken = others.some((o) => o.revision > e.revision && appliedBefore(o, e) !== false);
        const goodbyeToNobody = e.kind === "delete" && !others.some((o) => o.kind === "register" && appliedBefore(o, e) === true);
        if (wasApplied && (overtaken || goodbyeToNobody)) verdict.skipped += 1;
        else {
          verdict.expected += 1;
          verdict.lost += 1;
          problem(`${template} for ${e.kind} event ${e.eventId}: ${!wasApplied ? "notifications never applied the event" : "applied, but no mail planned"}`);
        }
        continue;
      }
      verdict.expected += 1;
      expectedIds.add(row.message_id);
      const copies = copiesOf.get(row.message_id) ?? 0;
      if (copies > 0 && row.status !== "failed") {
        verdict.delivered += 1;
        verdict.copies += copies - 1;
      } else {
        verdict.lost += 1;
        problem(`${row.message_id}: ${row.status === "failed" ? `marked failed (${row.last_error})` : `status ${row.status}, not in the sink`}`);
      }
    }
  }
  const ours = new Set(eventIds);
  for (const [id, copies] of copiesOf) {
    const event = eventOfMessageId(id);
    if (!event || !ours.has(event.eventId) || expectedIds.has(id)) continue;
    verdict.unexpected += copies;
    problem(`${id}: in the sink, but no event of this scenario calls for it`);
  }
  return verdict;
}
