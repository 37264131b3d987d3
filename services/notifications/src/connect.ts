import type { ConnectRouter } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { NotificationsAdminService } from "@acme/gen/acme/admin/v1/notifications_admin_pb";
import { NotificationService } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import { callerId } from "@acme/kit/auth";
import type { Logger } from "@acme/kit/logging";
import { projectionErrorMapper, rpcGuard } from "@acme/kit/projection";
import { listMyNotifications } from "./app/list-my-notifications.js";
import { mailQueueStatus, mailsOf, type MailDb } from "./db/mail-outbox.js";
import { notificationMessage } from "./rpc/notification-messages.js";

/** Notifications has no rule a request can break (a page size is clamped), so nothing it throws is invalid_argument. */
class NotificationsInvalidArgument extends Error {}

/** NotificationService routes; the access token was verified by the server's interceptor (requireAccessToken). */
export function notificationRoutes(db: MailDb, logger: Logger) {
  const guard = rpcGuard(projectionErrorMapper("notifications", NotificationsInvalidArgument), logger);
  const list = listMyNotifications({ mails: { mailsOf: (userId, limit) => mailsOf(db, userId, limit) } });
  return (router: ConnectRouter) =>
    router.service(NotificationService, {
      listMyNotifications: (request, context) =>
        guard(async () => ({ notifications: (await list({ callerId: callerId(context), pageSize: request.pageSize })).map(notificationMessage) })),
    });
}

/** NotificationsAdminService, on the admin port (behind ADMIN_TOKEN): how the mail outbox is doing. */
export function notificationsAdminRoutes(db: MailDb, logger: Logger) {
  const guard = rpcGuard(projectionErrorMapper("notifications", NotificationsInvalidArgument), logger);
  return (router: ConnectRouter) =>
    router.service(NotificationsAdminService, {
      getMailQueueStatus: () =>
        guard(async () => {
          const status = await mailQueueStatus(db);
          return { queued: BigInt(status.queued), failed: BigInt(status.failed), oldestQueuedAge: durationFromMs(status.oldestQueuedAgeMs) };
        }),
    });
}
