import type { MailFacts, Template } from "./templates.js";

/** What the projection knew about the user before the event (kit's UserState, narrowed to what mail needs). */
export type Before = { kind: "absent" } | { kind: "deleted"; revision: number } | { kind: "present"; record: { accountEmail: string; revision: number } };

/** One applied account event, as the projection reports it. */
export type AppliedEvent =
  | { type: "UserRegistered" | "UserEmailChanged"; fact: { email: string; revision: number; at: Date }; before: Before }
  | { type: "UserDeleted"; fact: { revision: number; at: Date }; before: Before };

export interface PlannedMail {
  template: Template;
  facts: MailFacts;
}

/**
 * The email changed, but the address it changed FROM is not known yet: the
 * user's registration has not been applied (it is late, or lost). Not
 * permanent: the consumer redelivers the change with backoff, by when the
 * registration has usually arrived; if it never does, the change ends in the
 * dead-letter stream with this message.
 */
export class PreviousAddressUnknown extends Error {
  override readonly name = "PreviousAddressUnknown";
}

/** The event's address is not one mail can be sent to: no retry can fix that (events/ dead-letters the event). */
export class UnusableAddress extends Error {
  override readonly name = "UnusableAddress";
}

/**
 * Which mails an applied event sends. A revision older than (or equal to)
 * the one already applied sends nothing, and neither does anything after the
 * account was deleted: exactly the events that change the projection send mail.
 */
export function planMails(applied: AppliedEvent): PlannedMail[] {
  const { before, fact } = applied;
  if (before.kind === "deleted") return [];
  if (before.kind === "present" && fact.revision <= before.record.revision) return [];
  switch (applied.type) {
    case "UserRegistered":
      return [{ template: "welcome", facts: { to: usableAddress(applied.fact.email, applied.type), at: fact.at } }];
    case "UserEmailChanged": {
      const to = usableAddress(applied.fact.email, applied.type);
      if (before.kind === "absent") {
        throw new PreviousAddressUnknown(
          `UserEmailChanged revision ${fact.revision}: the address before it is not known yet (UserRegistered of this user not applied); the notice waits for it`,
        );
      }
      return [
        { template: "email-changed-notice", facts: { to: before.record.accountEmail, newEmail: to, at: fact.at } },
        { template: "email-changed-confirmation", facts: { to, newEmail: to, at: fact.at } },
      ];
    }
    case "UserDeleted":
      // Never seen this user: no address to say goodbye to, and nothing personal to erase.
      if (before.kind === "absent") return [];
      return [{ template: "goodbye", facts: { to: before.record.accountEmail, at: fact.at } }];
  }
}

/**
 * The event's address must be one an SMTP server takes: a dot-atom local
 * part (RFC 5322: letters, digits and !#$%&'*+/=?^_`{|}~- between dots) and
 * a host name. Nothing else (quotes, spaces, angle brackets, control
 * characters, which could also smuggle headers) is sent anywhere.
 */
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOST = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`);

export function usableAddress(address: string, type: string): string {
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at);
  const host = address.slice(at + 1);
  if (at > 0 && local.length <= 64 && host.length <= 253 && LOCAL_PART.test(local) && HOST.test(host)) return address;
  throw new UnusableAddress(`${type}.email ${JSON.stringify(address.slice(0, 80))} is not an address mail can be sent to`);
}
