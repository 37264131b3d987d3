import { fileURLToPath } from "node:url";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { startConsumerService, type ConsumerServiceHooks, type RunningConsumerService } from "@acme/kit/service";
import type { Logger } from "@acme/kit/logging";
import type { ProjectionDb } from "@acme/kit/projection";
import { createUseCases } from "./app/use-cases.js";
import type { BillingConfig } from "./config.js";
import { billingRoutes, toConnectError } from "./connect.js";
import { createContactRepository } from "./db/contact-repository.js";
import { schema } from "./db/schema.js";
import { billingEventRoutes } from "./events/subscription.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

export type RunningBillingService = RunningConsumerService;

/**
 * Starts billing: migrations, database, the RPC server, and, as soon as NATS
 * answers (it may be down at start), the consumer of auth's events. The
 * wiring is kit's (shared with the other consumer); what is billing's own is
 * its schema, its use cases and its RPCs; its event handlers are kit's
 * account projection (events/subscription.ts).
 */
export function startBillingService(config: BillingConfig, logger: Logger, hooks: ConsumerServiceHooks = {}): Promise<RunningBillingService> {
  const routes = (db: ProjectionDb) => billingRoutes(createUseCases({ contacts: createContactRepository(db) }));
  return startConsumerService({
    name: "billing",
    config,
    logger,
    hooks,
    migrationsFolder: MIGRATIONS_FOLDER,
    schema,
    toConnectError,
    rpcService: BillingService,
    routes,
    eventRoutes: billingEventRoutes(),
  });
}
