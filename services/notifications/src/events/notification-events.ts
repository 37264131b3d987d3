import { PermanentEventError, type EventMeta } from "@acme/kit/consumer";
import { type AccountRecord, accountProjection, type Applied, createProjectionStore, perTransaction, type ProjectionDb } from "@acme/kit/projection";
import { eraseMailsOf, mailRecorderFor, type NewMail } from "../db/mail-outbox.js";
import { accountEmails, userTombstones } from "../db/schema.js";
import { planMails, UnusableAddress, type AppliedEvent, type PlannedMail } from "../domain/mail-plan.js";
import { renderMail } from "../domain/templates.js";

/** `<event-id.template@domain>`: the same for every attempt, so a receiver can drop a second copy. */
export function messageIdFor(eventId: string, template: string, domain: string): string {
  // Only characters a Message-ID's left side allows; anything else is written as =XX.
  const safe = eventId.replace(/[^A-Za-z0-9-]/g, (c) => `=${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return `<${safe}.${template}@${domain}>`;
}

function mailRow(mail: PlannedMail, userId: string, meta: EventMeta, messageIdDomain: string): NewMail {
  const rendered = renderMail(mail.template, mail.facts);
  return {
    eventId: meta.id,
    template: mail.template,
    userId,
    toAddress: mail.facts.to,
    subject: rendered.subject,
    textBody: rendered.text,
    htmlBody: rendered.html,
    messageId: messageIdFor(meta.id, mail.template, messageIdDomain),
    // The mail is sent later, by the sender, in a span of the event's trace.
    traceparent: meta.traceparent ?? null,
  };
}

/** An address no mail server takes is the event's fault: the consumer dead-letters it with the reason. */
function mailsFor(applied: AppliedEvent): PlannedMail[] {
  try {
    return planMails(applied);
  } catch (error) {
    throw error instanceof UnusableAddress ? new PermanentEventError(error.message) : error;
  }
}

const storeFor = perTransaction(
  (tx: ProjectionDb) =>
    createProjectionStore<typeof accountEmails, AccountRecord>(tx, { table: accountEmails, tombstones: userTombstones, name: "notifications" }).batching,
);

/**
 * Notifications' projection of auth's account events (kit's: field checks,
 * higher revision wins, tombstones) plus what is its own: in the same
 * transaction, the mails the event sends (mail-plan.ts), and on a deletion
 * the erasure of the user's mail once the goodbye is out.
 */
export function notificationProjection(settings: { messageIdDomain: string }) {
  return accountProjection<AccountRecord, ProjectionDb>({
    newRecord: (account) => account,
    storeFor,
    async afterApply(applied: Applied<AccountRecord>, tx, meta) {
      const planned = mailsFor(applied);
      const userId = applied.fact.userId;
      await mailRecorderFor(tx)(
        planned.map((mail) => ({ ...mailRow(mail, userId, meta, settings.messageIdDomain), eraseWhenDone: applied.type === "UserDeleted" })),
      );
      if (applied.change.kind === "delete") await eraseMailsOf(tx, userId);
    },
  });
}

export function notificationEventRoutes(settings: { messageIdDomain: string }) {
  return notificationProjection(settings).eventRoutes();
}
