import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { remoteKeySet } from "@acme/kit/auth/access-token";
import { requireAccessToken } from "@acme/kit/auth/caller";
import { startEventConsumer, type EventConsumer } from "@acme/kit/consumer/event-consumer";
import { databaseReadiness, openDatabase, waitForDatabase } from "@acme/kit/db/database";
import { runMigrations } from "@acme/kit/db/migrate";
import { killOnNthCall } from "@acme/kit/fault-injection";
import type { Logger } from "@acme/kit/logging";
import { connectNats } from "@acme/kit/nats";
import { createMetrics } from "@acme/kit/server/metrics";
import { startServiceServer } from "@acme/kit/server/service-server";
import { createUseCases } from "./app/use-cases.js";
import { billingConsumerSettings, type BillingConfig } from "./config.js";
import { billingRoutes } from "./connect.js";
import { createContactRepository } from "./db/contact-repository.js";
import { schema } from "./db/schema.js";
import { billingEventRoutes } from "./events/subscription.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface RunningBillingService {
  readonly port: number;
  /** The event consumer, once NATS has been reached. */
  consumer(): EventConsumer | undefined;
  /** Graceful: stop taking RPCs and pulling events, finish what is in hand, close. */
  stop(): Promise<void>;
}

export interface BillingServiceHooks {
  /** Test seam, passed to the consumer: runs between COMMIT and ack. */
  onCommitted?: (eventIds: string[]) => void | Promise<void>;
  /** Test seam, passed to the consumer: runs inside a batch's transaction, before COMMIT. */
  beforeCommit?: (eventIds: string[]) => void | Promise<void>;
}

/**
 * Starts billing: migrations, database, the RPC server, and, as soon as NATS
 * answers (it may be down at start), the consumer of auth's events.
 */
export async function startBillingService(config: BillingConfig, logger: Logger, hooks: BillingServiceHooks = {}): Promise<RunningBillingService> {
  await waitForDatabase(config.DATABASE_URL, (message) => logger.warn(message));
  await runMigrations(config.DATABASE_URL, MIGRATIONS_FOLDER, "billing");
  const database = openDatabase(config.DATABASE_URL, schema, { applicationName: "billing" });
  const metrics = createMetrics("billing");
  const useCases = createUseCases({ contacts: createContactRepository(database.db) });

  // Off unless a test sets FAULT_* (tools/faults): kill -9 at the Nth batch.
  const onCommitted = hooks.onCommitted ?? killOnNthCall(config.FAULT_KILL_AFTER_COMMIT_AT);
  const beforeCommit = hooks.beforeCommit ?? killOnNthCall(config.FAULT_KILL_BEFORE_COMMIT_AT);

  let stopping = false;
  let nats: NatsConnection | undefined;
  let consumer: EventConsumer | undefined;
  void (async () => {
    const nc = await connectNats({
      url: config.NATS_URL,
      user: config.NATS_USER,
      password: config.NATS_PASSWORD,
      name: "billing",
      inboxPrefix: "_INBOX_billing",
    });
    nats = nc;
    if (stopping) return;
    consumer = startEventConsumer({
      nc,
      db: database.db,
      settings: billingConsumerSettings(config),
      routes: billingEventRoutes(),
      logger,
      registry: metrics.registry,
      ...(onCommitted ? { onCommitted } : {}),
      ...(beforeCommit ? { beforeCommit } : {}),
    });
  })().catch((error: unknown) => logger.error({ err: error }, "could not start consuming events"));

  const server = await startServiceServer({
    service: "billing",
    rpcServiceNames: [BillingService.typeName],
    routes: billingRoutes(useCases, logger),
    interceptors: [
      requireAccessToken({
        keys: remoteKeySet(config.AUTH_JWKS_URL),
        policy: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        services: [BillingService],
      }),
    ],
    port: config.PORT,
    host: config.HOST,
    metrics,
    logger,
    readiness: {
      database: databaseReadiness(database.sql),
      nats: async () => {
        if (!nats) throw new Error("not connected yet");
        await nats.flush();
      },
    },
  });

  let stopped: Promise<void> | undefined;
  return {
    port: server.port,
    consumer: () => consumer,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        await server.shutdown();
        await consumer?.stop();
        if (nats) await nats.drain().catch(() => nats?.close());
        await database.close();
        logger.info("billing stopped");
      })();
      return stopped;
    },
  };
}
