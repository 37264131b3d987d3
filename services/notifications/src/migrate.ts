import { runMigrations } from "@acme/kit/db";
import { loadConfig } from "./config.js";
import { MIGRATIONS_FOLDER } from "./migrations.js";

// `npm run migrate -w @acme/notifications`: what a Kubernetes Job runs before the pods.
const config = loadConfig();
await runMigrations(config.DATABASE_URL, MIGRATIONS_FOLDER, "notifications");
console.log("notifications migrations applied");
