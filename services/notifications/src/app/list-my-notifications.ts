import type { MailStatus } from "../domain/mail-status.js";
import { maskAddress } from "../domain/templates.js";

export interface SentMail {
  messageId: string;
  template: string;
  subject: string;
  /** Masked; empty once erased. */
  to: string;
  status: MailStatus;
  createdAt: Date;
  sentAt: Date | null;
  failureReason: string;
}

export interface MailHistory {
  mailsOf(
    userId: string,
    limit: number,
  ): Promise<
    {
      messageId: string;
      template: string;
      subject: string;
      toAddress: string | null;
      status: MailStatus;
      createdAt: Date;
      sentAt: Date | null;
      lastError: string | null;
    }[]
  >;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/** The caller's own mails, newest first: the token's subject is the only user it can ask about. */
export const listMyNotifications =
  (deps: { mails: MailHistory }) =>
  async (input: { callerId: string; pageSize: number }): Promise<SentMail[]> => {
    const limit = Math.min(input.pageSize || DEFAULT_PAGE, MAX_PAGE);
    const rows = await deps.mails.mailsOf(input.callerId, limit);
    return rows.map((row) => ({
      messageId: row.messageId,
      template: row.template,
      subject: row.subject,
      to: row.toAddress ? maskAddress(row.toAddress) : "",
      status: row.status,
      createdAt: row.createdAt,
      sentAt: row.sentAt,
      // A refusal is shown; a transient error of a mail still queued is the operator's business.
      failureReason: row.status === "failed" ? (row.lastError ?? "") : "",
    }));
  };
