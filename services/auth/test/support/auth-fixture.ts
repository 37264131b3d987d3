import { randomBytes } from "node:crypto";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { createLogger } from "@acme/kit/logging";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";
import { loadConfig, type AuthConfig } from "../../src/config.js";
import { startAuthService, type AuthService as RunningAuth } from "../../src/service.js";

export interface AuthFixture {
  db: TestDatabase;
  config: AuthConfig;
  service: RunningAuth;
  client: Client<typeof AuthService>;
  baseUrl: string;
  /** The admin port: /readyz, /metrics, AuthAdminService. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Environment for an auth instance on its own test database, stream and subjects. */
export async function authTestEnv(overrides: Record<string, string> = {}): Promise<{ db: TestDatabase; env: Record<string, string> }> {
  const db = await createTestDatabase("auth");
  const ns = testNamespace();
  return {
    db,
    env: {
      DATABASE_URL: db.url,
      NATS_URL: natsUrl(),
      PORT: "0",
      ADMIN_PORT: "0",
      AUTH_EVENTS_STREAM: ns.stream("AUTH_EVENTS"),
      AUTH_EVENTS_SUBJECT_PREFIX: ns.subjectPrefix("auth.events"),
      LOG_LEVEL: "silent",
      AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      // Tests register hundreds of accounts from 127.0.0.1; the per-client limit has its own test (login-throttle.test.ts).
      REGISTER_CLIENT_ATTEMPTS: "1000000",
      ...overrides,
    },
  };
}

/** A real auth service in this process, on a real Postgres database and NATS. */
export async function startAuthFixture(overrides: Record<string, string> = {}): Promise<AuthFixture> {
  const { db, env } = await authTestEnv(overrides);
  const config = loadConfig(env);
  const service = await startAuthService(config, createLogger("auth", config.LOG_LEVEL));
  const baseUrl = `http://127.0.0.1:${service.port}`;
  const client = createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
  return {
    db,
    config,
    service,
    client,
    baseUrl,
    adminUrl: `http://127.0.0.1:${service.adminPort}`,
    async stop() {
      await service.stop();
      await db.drop();
    },
  };
}
