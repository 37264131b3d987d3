import { runDeadLetterEntry } from "@acme/kit/projection";
import { loadConfig } from "./config.js";
import { schema } from "./db/schema.js";
import { profileEventRoutes } from "./events/subscription.js";

// `npm run dlq -w @acme/profile -- list | show <seq> | replay <seq>|all | purge <seq>|all`
await runDeadLetterEntry({ service: "profile", config: loadConfig(), schema, routes: profileEventRoutes() });
