/** Where a mail is in its life: waiting to be sent (or retried), accepted by the SMTP server, or refused for good. */
export const MAIL_STATUSES = ["queued", "sent", "failed"] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];
