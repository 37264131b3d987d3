export { startPostgres, type PostgresServer, type PostgresOptions } from "./postgres-server.js";
export { startNats, natsConfig, natsServerAvailable, NATS_INSTALL_HINT, type NatsServer, type NatsUser, type NatsOptions } from "./nats-server.js";
export { freePort, waitUntil } from "./ports.js";
export {
  SERVICES,
  SERVICE_NATS_PERMISSIONS,
  CONSOLE_NATS_PERMISSIONS,
  NATS_PERMISSIONS,
  DURABLE_CONSUMERS,
  inboxPrefixOf,
  type ServiceName,
  type SubjectPermissions,
} from "./service-permissions.js";
export { startMailSink, readMailDir, readMailFile, mailFileNames, type MailSink, type MailSinkOptions, type SunkMail } from "./mail-sink.js";
