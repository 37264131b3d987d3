import type { ConnectRouter } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { NotificationsAdminService } from "@acme/gen/acme/admin/v1/notifications_admin_pb";
import { NotificationService } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import { callerId } from "@acme/kit/auth";
import { listMyNotifications } from "./app/list-my-notifications.js";
import { mailQueueStatus, mailsOf, type MailDb } from "./db/mail-outbox.js";
import { notificationMessage } from "./rpc/notification-messages.js";

/*
 * Notifications has no domain error a request can cause (a page size is
 * clamped): what these routes throw is an outage or a bug, which the
 * server's error mapping answers `unavailable` or `internal`.
 */

/** NotificationService routes; the access token was verified by the server's interceptor (requireAccessToken). */
export function notificationRoutes(db: MailDb) {
  const list = listMyNotifications({ mails: { mailsOf: (userId, limit) => mailsOf(db, userId, limit) } });
  return (router: ConnectRouter) =>
    router.service(NotificationService, {
      listMyNotifications: async (request, context) => ({
        notifications: (await list({ callerId: callerId(context), pageSize: request.pageSize })).map(notificationMessage),
      }),
    });
}

/** NotificationsAdminService, on the admin port (behind ADMIN_TOKEN): how the mail outbox is doing. */
export function notificationsAdminRoutes(db: MailDb) {
  return (router: ConnectRouter) =>
    router.service(NotificationsAdminService, {
      async getMailQueueStatus() {
        const status = await mailQueueStatus(db);
        return { queued: BigInt(status.queued), failed: BigInt(status.failed), oldestQueuedAge: durationFromMs(status.oldestQueuedAgeMs) };
      },
    });
}
