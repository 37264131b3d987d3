import { NotificationService } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import { startConsumerService, type ConsumerServiceHooks, type RunningConsumerService } from "@acme/kit/service";
import { killOnNthCall } from "@acme/kit/fault-injection";
import type { Logger } from "@acme/kit/logging";
import { mailSenderSettings, type NotificationsConfig } from "./config.js";
import { notificationRoutes, notificationsAdminRoutes } from "./connect.js";
import { schema } from "./db/schema.js";
import { notificationEventRoutes } from "./events/notification-events.js";
import { startMailSender } from "./mail/mail-sender.js";
import { MIGRATIONS_FOLDER } from "./migrations.js";

export { MIGRATIONS_FOLDER };
export type RunningNotificationsService = RunningConsumerService;
export type NotificationsServiceHooks = ConsumerServiceHooks;

/**
 * Starts notifications: kit's consumer service (migrations, database, RPC
 * server with token checks, the consumer of auth's events) with its own
 * projection and mail outbox, and the mail sender beside it.
 */
export function startNotificationsService(
  config: NotificationsConfig,
  logger: Logger,
  hooks: NotificationsServiceHooks = {},
): Promise<RunningNotificationsService> {
  const afterAccepted = killOnNthCall(config.FAULT_KILL_AFTER_MAIL_ACCEPTED_AT);
  return startConsumerService({
    name: "notifications",
    config,
    logger,
    hooks,
    migrationsFolder: MIGRATIONS_FOLDER,
    schema,
    rpcService: NotificationService,
    routes: (db) => notificationRoutes(db),
    eventRoutes: notificationEventRoutes({ messageIdDomain: config.MAIL_MESSAGE_ID_DOMAIN }),
    worker: ({ db, sql, registry, tracer }) =>
      startMailSender(mailSenderSettings(config), { db, sql, logger, registry, tracer, ...(afterAccepted ? { afterAccepted } : {}) }),
    adminRoutes: (db) => notificationsAdminRoutes(db),
  });
}
