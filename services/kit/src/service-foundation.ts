import type { NatsConnection } from "@nats-io/transport-node";
import { databaseReadiness, openDatabase, waitForDatabase, type Database } from "./db/database.js";
import { runMigrations } from "./db/migrate.js";
import type { Logger } from "./logging.js";
import { checkNatsTls, connectNats, natsReadiness, type NatsSettings } from "./nats.js";
import { startTelemetry, type Telemetry } from "./observability/telemetry.js";
import type { TelemetryEnv } from "./observability/telemetry-env.js";
import { createMetrics, type Metrics } from "./server/metrics.js";

export interface FoundationSpec<TSchema extends Record<string, unknown>> {
  name: string;
  config: TelemetryEnv & { DATABASE_URL: string };
  logger: Logger;
  migrationsFolder: string;
  schema: TSchema;
  nats: NatsSettings;
  /** See openDatabase: false for a service that never passes arrays as parameters. */
  arrayParameters?: boolean;
}

/** What every service stands on: telemetry, its migrated database, its metrics, and NATS once it answers. */
export interface Foundation<TSchema extends Record<string, unknown>> {
  telemetry: Telemetry;
  database: Database<TSchema>;
  metrics: Metrics;
  nats: BackgroundNats;
  /** /readyz's checks: the database answers, NATS is connected. */
  readiness: { database: () => Promise<void>; nats: () => Promise<void> };
}

/**
 * The start every service shares: TLS settings that cannot work stop the
 * start here, named (a NATS that is down does not); then the database is
 * waited for and migrated, and opened.
 */
export async function startFoundation<TSchema extends Record<string, unknown>>(spec: FoundationSpec<TSchema>): Promise<Foundation<TSchema>> {
  const { name, config, logger } = spec;
  const telemetry = startTelemetry({ service: name, env: config, logger });
  await checkNatsTls(spec.nats);
  await waitForDatabase(config.DATABASE_URL, (message) => logger.warn(message));
  await runMigrations(config.DATABASE_URL, spec.migrationsFolder, name);
  const database = openDatabase(config.DATABASE_URL, spec.schema, {
    applicationName: name,
    ...(spec.arrayParameters === false ? { arrayParameters: false } : {}),
  });
  const metrics = createMetrics(name);
  telemetry.registerMetrics(metrics.registry);
  const nats = new BackgroundNats(spec.nats, logger);
  return { telemetry, database, metrics, nats, readiness: { database: databaseReadiness(database.sql), nats: natsReadiness(() => nats.connection()) } };
}

/**
 * A NATS connection made in the background: NATS may be down when the
 * service starts, and the service answers RPCs meanwhile. `whenConnected`
 * starts what needs it (the relay, the consumer) once it is there, unless
 * the service is stopping by then.
 */
export class BackgroundNats {
  private nc: NatsConnection | undefined;
  private stopping = false;
  private connecting: Promise<NatsConnection> | undefined;

  constructor(
    private readonly settings: NatsSettings,
    private readonly logger: Logger,
  ) {}

  connection(): NatsConnection | undefined {
    return this.nc;
  }

  isStopping(): boolean {
    return this.stopping;
  }

  /** Connects (on the first call) and runs `start` once connected; errors are logged as "could not start <what>". */
  whenConnected(what: string, start: (nc: NatsConnection) => void | Promise<void>): void {
    this.connecting ??= connectNats(this.settings).then((nc) => (this.nc = nc));
    const connecting = this.connecting;
    void (async () => {
      const nc = await connecting;
      if (!this.stopping) await start(nc);
    })().catch((error: unknown) => this.logger.error({ err: error }, `could not start ${what}`));
  }

  /** From now on nothing new starts. */
  markStopping(): void {
    this.stopping = true;
  }

  /** Drains the connection; still connecting (NATS down)? Then there is nothing to drain; the attempt stops with the process. */
  async drain(): Promise<void> {
    const nc = this.nc;
    if (nc) await nc.drain().catch(() => nc.close());
  }
}
