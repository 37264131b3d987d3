import { z } from "zod";
import { databaseTlsEnv, parseEnv, postgresUrlSchema, withDatabaseTls } from "@acme/kit/env";
import { runMigrations } from "@acme/kit/db";
import { MIGRATIONS_FOLDER } from "./service.js";

// `npm run migrate -w @acme/auth`: what a Kubernetes Job runs before the pods.
// It reads only DATABASE_URL (and its TLS CA): the migration Job needs no signing-key secret.
const config = withDatabaseTls(parseEnv(z.object({ DATABASE_URL: postgresUrlSchema.default("postgres://auth:auth@127.0.0.1:5432/auth"), ...databaseTlsEnv })));
await runMigrations(config.DATABASE_URL, MIGRATIONS_FOLDER, "auth");
console.log("auth migrations applied");
