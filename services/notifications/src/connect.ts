import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { NotificationService } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import { callerId } from "@acme/kit/auth/caller";
import { isDatabaseUnavailable } from "@acme/kit/db/database";
import type { Logger } from "@acme/kit/logging";
import { listMyNotifications } from "./app/list-my-notifications.js";
import { mailsOf, type MailDb } from "./db/mail-outbox.js";
import { notificationMessage } from "./rpc/notification-messages.js";

/** NotificationService routes; the access token was verified by the server's interceptor (requireAccessToken). */
export function notificationRoutes(db: MailDb, logger: Logger) {
  const list = listMyNotifications({ mails: { mailsOf: (userId, limit) => mailsOf(db, userId, limit) } });
  return (router: ConnectRouter) =>
    router.service(NotificationService, {
      async listMyNotifications(request, context) {
        try {
          return { notifications: (await list({ callerId: callerId(context), pageSize: request.pageSize })).map(notificationMessage) };
        } catch (error) {
          if (isDatabaseUnavailable(error)) throw new ConnectError("notifications' database is unavailable right now; try again shortly", Code.Unavailable);
          logger.error({ err: error }, "unexpected error");
          throw new ConnectError("internal error", Code.Internal);
        }
      },
    });
}
