import { randomBytes } from "node:crypto";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { BillingService } from "@acme/gen/acme/billing/v1/billing_service_pb";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { createLogger } from "@acme/kit/logging";
import { createTestDatabase, natsUrl, testNamespace, type TestDatabase } from "@acme/testing";
import { loadConfig as authConfig } from "../../../services/auth/src/config.js";
import { startAuthService } from "../../../services/auth/src/service.js";
import { loadConfig as billingConfig } from "../../../services/billing/src/config.js";
import { startBillingService } from "../../../services/billing/src/service.js";
import { loadConfig as profileConfig } from "../../../services/profile/src/config.js";
import { startProfileService } from "../../../services/profile/src/service.js";

export interface System {
  auth: Client<typeof AuthService>;
  profile: Client<typeof ProfileService>;
  billing: Client<typeof BillingService>;
  databases: { auth: TestDatabase; profile: TestDatabase; billing: TestDatabase };
  /** Each service's admin port (/readyz, /metrics, acme.admin.v1 behind ADMIN_TOKEN). */
  adminPorts: { auth: number; profile: number; billing: number };
  /** The ADMIN_TOKEN every service was started with. */
  adminToken: string;
  /** Stream and subject names of this system. */
  names: { stream: string; subjectPrefix: string; dlqProfile: string; dlqProfilePrefix: string; dlqBilling: string; dlqBillingPrefix: string };
  stop(): Promise<void>;
}

const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";

const client = <S extends Parameters<typeof createClient>[0]>(service: S, port: number) =>
  createClient(service, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" }));

/**
 * The three services in this process, each on its own database, sharing one
 * private stream: the system as `npm start` runs it, minus the processes.
 * The services are wired only through NATS and auth's JWKS URL.
 */
export async function startSystem(loggers: { profile?: Logger } = {}, env: Record<string, string> = {}): Promise<System> {
  const ns = testNamespace();
  const [authDb, profileDb, billingDb] = await Promise.all(["auth", "profile", "billing"].map((s) => createTestDatabase(`e2e_${s}`)));
  const authKey = { AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64") };
  const shared = {
    NATS_URL: natsUrl(),
    PORT: "0",
    ADMIN_PORT: "0",
    LOG_LEVEL: "silent",
    AUTH_EVENTS_STREAM: ns.stream("AUTH_EVENTS"),
    AUTH_EVENTS_SUBJECT_PREFIX: ns.subjectPrefix("auth.events"),
    ADMIN_TOKEN: ADMIN_TOKEN,
    ...env,
  };
  const names = {
    stream: shared.AUTH_EVENTS_STREAM,
    subjectPrefix: shared.AUTH_EVENTS_SUBJECT_PREFIX,
    dlqProfile: ns.stream("DLQ_PROFILE"),
    dlqProfilePrefix: ns.subjectPrefix("dlq.profile"),
    dlqBilling: ns.stream("DLQ_BILLING"),
    dlqBillingPrefix: ns.subjectPrefix("dlq.billing"),
  };
  const auth = await startAuthService(authConfig({ ...shared, ...authKey, DATABASE_URL: authDb!.url }), createLogger("auth", "silent"));
  const jwks = { AUTH_JWKS_URL: `http://127.0.0.1:${auth.port}/.well-known/jwks.json` };
  const profile = await startProfileService(
    profileConfig({ ...shared, ...jwks, DATABASE_URL: profileDb!.url, DLQ_STREAM: names.dlqProfile, DLQ_SUBJECT_PREFIX: names.dlqProfilePrefix }),
    loggers.profile ?? createLogger("profile", "silent"),
  );
  const billing = await startBillingService(
    billingConfig({ ...shared, ...jwks, DATABASE_URL: billingDb!.url, DLQ_STREAM: names.dlqBilling, DLQ_SUBJECT_PREFIX: names.dlqBillingPrefix }),
    createLogger("billing", "silent"),
  );
  return {
    auth: client(AuthService, auth.port),
    profile: client(ProfileService, profile.port),
    billing: client(BillingService, billing.port),
    databases: { auth: authDb!, profile: profileDb!, billing: billingDb! },
    adminPorts: { auth: auth.adminPort, profile: profile.adminPort, billing: billing.adminPort },
    adminToken: ADMIN_TOKEN,
    names,
    async stop() {
      await Promise.all([profile.stop(), billing.stop()]);
      await auth.stop();
      await Promise.all([authDb!.drop(), profileDb!.drop(), billingDb!.drop()]);
    },
  };
}

/** Retries `read` until it succeeds and `accept` says yes (events take a moment to arrive). */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean = () => true, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await read();
      if (accept(value)) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not reached within ${timeoutMs} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}
