import { runDeadLetterCommand } from "../consumer/dead-letter-command.js";
import type { EventRoute } from "../consumer/event-route.js";
import type { ConsumerSettings } from "../consumer/consumer-settings.js";
import { openDatabase } from "../db/database.js";
import { connectNats, natsSettingsFrom, type NatsEnv } from "../nats.js";

type DeadLetterConfig = NatsEnv & { DATABASE_URL: string; consumer: ConsumerSettings };

/**
 * A consumer service's `dlq` command, whole: `npm run dlq -w @acme/<service>
 * -- list | show <seq> | replay <seq>|all | purge <seq>|all`. It connects
 * with the service's own settings (database, NATS user, dead-letter stream)
 * and replays through the service's own routes. Sets the exit code.
 */
export async function runDeadLetterEntry<TSchema extends Record<string, unknown>>(spec: {
  service: string;
  config: DeadLetterConfig;
  schema: TSchema;
  routes: EventRoute<never>[];
  argv?: string[];
}): Promise<void> {
  const { service, config } = spec;
  const database = openDatabase(config.DATABASE_URL, spec.schema, { max: 2, applicationName: `${service}-dlq` });
  const timeout = setTimeout(() => {
    console.error(`NATS at ${config.NATS_URL} did not answer within 10 s`);
    process.exit(1);
  }, 10_000);
  const nc = await connectNats(natsSettingsFrom(config, `${service}-dlq`, service));
  clearTimeout(timeout);
  try {
    process.exitCode = await runDeadLetterCommand(spec.argv ?? process.argv.slice(2), {
      nc,
      db: database.db,
      settings: config.consumer,
      routes: spec.routes,
    });
  } finally {
    await nc.drain();
    await database.close();
  }
}
