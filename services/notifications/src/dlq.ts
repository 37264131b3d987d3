import { runDeadLetterEntry } from "@acme/kit/projection";
import { loadConfig } from "./config.js";
import { schema } from "./db/schema.js";
import { notificationEventRoutes } from "./events/notification-events.js";

// `npm run dlq -w @acme/notifications -- list | show <seq> | replay <seq>|all | purge <seq>|all`
const config = loadConfig();
await runDeadLetterEntry({ service: "notifications", config, schema, routes: notificationEventRoutes({ messageIdDomain: config.MAIL_MESSAGE_ID_DOMAIN }) });
