import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { NotificationSchema, NotificationStatus, type Notification } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import type { SentMail } from "../app/list-my-notifications.js";

const STATUS = { queued: NotificationStatus.QUEUED, sent: NotificationStatus.SENT, failed: NotificationStatus.FAILED } as const;

export function notificationMessage(mail: SentMail): Notification {
  return create(NotificationSchema, {
    messageId: mail.messageId,
    template: mail.template,
    subject: mail.subject,
    to: mail.to,
    status: STATUS[mail.status],
    createdAt: timestampFromDate(mail.createdAt),
    ...(mail.sentAt ? { sentAt: timestampFromDate(mail.sentAt) } : {}),
    failureReason: mail.failureReason,
  });
}
