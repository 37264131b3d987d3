import type { IncomingMessage, ServerResponse } from "node:http";
import { createContextKey, createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Tracer } from "@opentelemetry/api";
import type { Logger } from "../logging.js";
import { requireAdminToken } from "./admin-token.js";
import { clientAddress } from "./client-address.js";
import { errorMapping, type DomainErrorMapping } from "./error-mapping.js";
import { checkReadiness, healthRoutes, type ReadinessChecks } from "./health.js";
import { listen, type Listener, type ServerLimits } from "./listen.js";
import type { Metrics } from "./metrics.js";
import { observeRpcs } from "./rpc-observer.js";
import { corsOriginsFromEnv, withCors } from "./cors.js";
import { reflectionRoutes } from "./reflection.js";

/** A plain HTTP endpoint beside the RPCs (e.g. auth's JWKS). */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ServiceServerOptions {
  service: string;
  /** Fully qualified names of the RPC services, for grpc.health.v1. */
  rpcServiceNames: string[];
  routes: (router: ConnectRouter) => void;
  port: number;
  host?: string;
  readiness: ReadinessChecks;
  metrics: Metrics;
  logger: Logger;
  httpRoutes?: Record<string, HttpRoute>;
  interceptors?: Interceptor[];
  /** The service's domain errors as Connect errors, applied to what every RPC throws on both ports (error-mapping.ts). */
  toConnectError?: DomainErrorMapping;
  /** Largest request body accepted, in bytes. */
  readMaxBytes?: number;
  /** Reverse proxies in front that append to X-Forwarded-For (TRUST_PROXY_HOPS); 0: use the socket's peer. */
  trustProxyHops?: number;
  /** Timeouts and connection cap (kit/src/env.ts serverLimitsEnv); listen()'s defaults otherwise. */
  limits?: Partial<ServerLimits>;
  /** The service's tracer (its own service.name): every RPC gets a server span. */
  tracer: Tracer;
  /** The admin port: /healthz, /readyz with details, /metrics and the admin RPCs. */
  admin: AdminPortOptions;
}

export interface AdminPortOptions {
  port: number;
  /** Bearer token every admin RPC must carry; unset: admin RPCs are refused. */
  token?: string | undefined;
  /** The admin Connect services (acme.admin.v1). */
  routes?: (router: ConnectRouter) => void;
}

/** The caller's network address, for handlers that rate-limit per client. */
export const clientAddressKey = createContextKey<string>("unknown", { description: "client address" });

export interface ServiceServer extends Listener {
  /** The admin port as bound (differs from the option when that was 0). */
  readonly adminPort: number;
  /** Readiness turns false at once; the ports close after in-flight calls finish. */
  shutdown(graceMs?: number): Promise<void>;
}

const DEFAULT_READ_MAX_BYTES = 64 * 1024;
type ConnectAdapterOptions = Parameters<typeof connectNodeAdapter>[0];

/**
 * Two ports. The public one: Connect, gRPC and gRPC-Web, grpc.health.v1 and
 * a bare /healthz (the process is alive). The admin one (never exposed to
 * users): /healthz, /readyz with each dependency's state, /metrics and the
 * admin RPCs behind ADMIN_TOKEN. Both are bound with kit's listen(), so
 * they share its timeouts and graceful close.
 */
export async function startServiceServer(options: ServiceServerOptions): Promise<ServiceServer> {
  let shuttingDown = false;
  const observe = observeRpcs(options.metrics, options.logger, options.tracer);
  // Inside the observer, so the code it records is the mapped one.
  const mapErrors = errorMapping({ service: options.service, logger: options.logger, toConnectError: options.toConnectError });
  const handler = publicHandler(options, [observe, mapErrors, ...(options.interceptors ?? [])], () => shuttingDown);
  const adminHandler = connectNodeAdapter({
    routes: (router) => options.admin.routes?.(router),
    readMaxBytes: DEFAULT_READ_MAX_BYTES,
    jsonOptions: STRICT_UTF8_JSON,
    interceptors: [observe, mapErrors, requireAdminToken(options.admin.token, options.logger)],
    fallback: plainRoutes(
      operationsRoutes(options, () => shuttingDown),
      options.logger,
    ),
  });

  const listener = await listen(withCors(handler as never, corsOriginsFromEnv()) as never, options.port, options.host, options.limits);
  let adminListener: Listener;
  try {
    adminListener = await listen(adminHandler as never, options.admin.port, options.host, options.limits);
  } catch (error) {
    await listener.close(0);
    throw error;
  }
  options.logger.info(
    { port: listener.port, adminPort: adminListener.port },
    `${options.service} listening (Connect, gRPC, gRPC-Web; admin port ${adminListener.port})`,
  );
  const closeBoth = (graceMs?: number) => Promise.all([listener.close(graceMs), adminListener.close(graceMs)]).then(() => {});
  return {
    port: listener.port,
    adminPort: adminListener.port,
    close: closeBoth,
    async shutdown(graceMs = 10_000) {
      shuttingDown = true;
      await closeBoth(graceMs);
    },
  };
}

// JSON must be UTF-8 (RFC 8259). The default decoder would turn invalid
// bytes into U+FFFD and store them (an account "ab\uFFFD@example.com");
// a fatal one makes the request invalid_argument instead. (Typed narrower
// than what connect's JSON serialization reads; a test proves it applies.)
const STRICT_UTF8_JSON = { textDecoder: new TextDecoder("utf-8", { fatal: true }) } as ConnectAdapterOptions["jsonOptions"];

/** The public port: the service's RPCs, grpc.health.v1, reflection, a bare /healthz and the service's own HTTP routes. */
function publicHandler(options: ServiceServerOptions, interceptors: Interceptor[], shuttingDown: () => boolean) {
  return connectNodeAdapter({
    routes: (router) => {
      options.routes(router);
      healthRoutes(options.rpcServiceNames, options.readiness, shuttingDown)(router);
      reflectionRoutes(router);
    },
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    jsonOptions: STRICT_UTF8_JSON,
    interceptors,
    contextValues: (req) => createContextValues().set(clientAddressKey, clientAddress(req, options.trustProxyHops ?? 0)),
    fallback: plainRoutes({ "/healthz": (_req, res) => json(res, 200, { status: "alive" }), ...options.httpRoutes }, options.logger),
  });
}

/** The admin port's plain routes: liveness, readiness with each dependency's state, Prometheus metrics. */
function operationsRoutes(options: ServiceServerOptions, shuttingDown: () => boolean): Record<string, HttpRoute> {
  return {
    "/healthz": (_req, res) => json(res, 200, { status: "alive" }),
    "/readyz": async (_req, res) => {
      const report = await checkReadiness(options.readiness);
      const ready = report.ready && !shuttingDown();
      json(res, ready ? 200 : 503, { status: ready ? "ready" : shuttingDown() ? "shutting down" : "not ready", checks: report.checks });
    },
    "/metrics": async (_req, res) => {
      res.writeHead(200, { "content-type": options.metrics.registry.contentType });
      res.end(await options.metrics.registry.metrics());
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** GET routes beside the RPCs; anything else is a JSON 404. */
function plainRoutes(routes: Record<string, HttpRoute>, logger: Logger): NonNullable<ConnectAdapterOptions["fallback"]> {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = req.method === "GET" ? routes[path] : undefined;
    if (!route) return json(res as ServerResponse, 404, { error: `no route for ${req.method} ${path}` });
    Promise.resolve(route(req as IncomingMessage, res as ServerResponse)).catch((error: unknown) => {
      logger.error({ err: error, path }, "http route failed");
      if (!res.headersSent) json(res as ServerResponse, 500, { error: "internal error" });
    });
  };
}
