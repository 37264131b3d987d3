import { runDeadLetterCommand } from "@acme/kit/consumer/dead-letter-command";
import { openDatabase } from "@acme/kit/db/database";
import { connectNats, natsTlsFromEnv } from "@acme/kit/nats";
import { loadConfig, billingConsumerSettings } from "./config.js";
import { schema } from "./db/schema.js";
import { billingEventRoutes } from "./events/subscription.js";

// `npm run dlq -w @acme/billing -- list | show <seq> | replay <seq>|all | purge <seq>|all`
const config = loadConfig();
const database = openDatabase(config.DATABASE_URL, schema, { max: 2, applicationName: "billing-dlq" });
const timeout = setTimeout(() => {
  console.error(`NATS at ${config.NATS_URL} did not answer within 10 s`);
  process.exit(1);
}, 10_000);
const nc = await connectNats({ url: config.NATS_URL, user: config.NATS_USER, password: config.NATS_PASSWORD, name: "billing-dlq", inboxPrefix: "_INBOX_billing", tls: natsTlsFromEnv(config) });
clearTimeout(timeout);
try {
  process.exitCode = await runDeadLetterCommand(process.argv.slice(2), {
    nc,
    db: database.db,
    settings: billingConsumerSettings(config),
    routes: billingEventRoutes(),
  });
} finally {
  await nc.drain();
  await database.close();
}
