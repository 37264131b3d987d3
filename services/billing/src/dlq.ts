import { runDeadLetterEntry } from "@acme/kit/projection";
import { loadConfig } from "./config.js";
import { schema } from "./db/schema.js";
import { billingEventRoutes } from "./events/subscription.js";

// `npm run dlq -w @acme/billing -- list | show <seq> | replay <seq>|all | purge <seq>|all`
await runDeadLetterEntry({ service: "billing", config: loadConfig(), schema, routes: billingEventRoutes() });
