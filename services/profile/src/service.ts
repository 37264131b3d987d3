import { fileURLToPath } from "node:url";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { startConsumerService, type ConsumerServiceHooks, type RunningConsumerService } from "@acme/kit/service";
import type { Logger } from "@acme/kit/logging";
import type { ProjectionDb } from "@acme/kit/projection";
import { createUseCases } from "./app/use-cases.js";
import type { ProfileConfig } from "./config.js";
import { profileRoutes, toConnectError } from "./connect.js";
import { createProfileRepository } from "./db/profile-repository.js";
import { schema } from "./db/schema.js";
import { profileEventRoutes } from "./events/subscription.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

export type RunningProfileService = RunningConsumerService;

/**
 * Starts profile: migrations, database, the RPC server, and, as soon as NATS
 * answers (it may be down at start), the consumer of auth's events. The
 * wiring is kit's (shared with the other consumer); what is profile's own is
 * its schema, its use cases and its RPCs; its event handlers are kit's
 * account projection (events/subscription.ts).
 */
export function startProfileService(config: ProfileConfig, logger: Logger, hooks: ConsumerServiceHooks = {}): Promise<RunningProfileService> {
  const routes = (db: ProjectionDb) => profileRoutes(createUseCases({ profiles: createProfileRepository(db) }));
  return startConsumerService({
    name: "profile",
    config,
    logger,
    hooks,
    migrationsFolder: MIGRATIONS_FOLDER,
    schema,
    toConnectError,
    rpcService: ProfileService,
    routes,
    eventRoutes: profileEventRoutes(),
  });
}
