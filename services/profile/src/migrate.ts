import { runMigrations } from "@acme/kit/db";
import { loadConfig } from "./config.js";
import { MIGRATIONS_FOLDER } from "./service.js";

// `npm run migrate -w @acme/profile`: what a Kubernetes Job runs before the pods.
const config = loadConfig();
await runMigrations(config.DATABASE_URL, MIGRATIONS_FOLDER, "profile");
console.log("profile migrations applied");
