import { Writable } from "node:stream";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "@acme/gen/grpc/health/v1/health_pb";
import { createLogger } from "../src/logging.js";
import { trace } from "../src/observability/spans.js";
import { createMetrics } from "../src/server/metrics.js";
import { startServiceServer, type ServiceServer } from "../src/server/service-server.js";
import { bearer } from "@acme/testing/bearer";

const ADMIN_TOKEN = "admin-token-for-this-test-0123456789";

describe("service server: Connect, gRPC and gRPC-Web on one port, operations on the admin port", () => {
  let server: ServiceServer;
  let databaseUp = true;
  let baseUrl: string;
  let adminUrl: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    server = await startServiceServer({
      service: "kit-test",
      rpcServiceNames: ["acme.test.v1.TestService"],
      routes: () => {},
      port: 0,
      readiness: {
        database: async () => {
          if (!databaseUp) throw new Error("connection refused");
        },
      },
      metrics: createMetrics("kit-test"),
      logger: createLogger(
        "kit-test",
        "info",
        new Writable({
          write(chunk, _encoding, callback) {
            logLines.push(String(chunk));
            callback();
          },
        }),
      ),
      readMaxBytes: 1024,
      tracer: trace.getTracer("kit-test"),
      admin: {
        port: 0,
        token: ADMIN_TOKEN,
        // Any service will do to check the token: the health service stands in for the admin ones.
        routes: (router) => router.service(Health, { check: async () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) }),
      },
    });
    baseUrl = `http://127.0.0.1:${server.port}`;
    adminUrl = `http://127.0.0.1:${server.adminPort}`;
  });
  afterAll(() => server.shutdown(1_000));

  it.each([
    ["Connect over HTTP/1.1", () => createConnectTransport({ baseUrl, httpVersion: "1.1" })],
    ["Connect over h2c", () => createConnectTransport({ baseUrl, httpVersion: "2" })],
    ["gRPC over h2c", () => createGrpcTransport({ baseUrl })],
    ["gRPC-Web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ])("answers grpc.health.v1 Check with %s", async (_name, transport) => {
    const client = createClient(Health, transport());
    const response = await client.check({ service: "" });
    expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("answers a bare /healthz on the public port; readiness details and metrics are on the admin port only", async () => {
    expect(server.adminPort).not.toBe(server.port);
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
  });

  it("answers /readyz on the admin port, and /readyz names the failing dependency", async () => {
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
    databaseUp = false;
    try {
      const res = await fetch(`${adminUrl}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ checks: { database: "connection refused" } });
      const client = createClient(Health, createGrpcTransport({ baseUrl }));
      expect((await client.check({})).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    } finally {
      databaseUp = true;
    }
  });

  it("serves Prometheus metrics", async () => {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    expect(text).toContain("rpc_duration_seconds");
  });

  it("admin RPCs need the admin token: missing or wrong is unauthenticated, the right one works", async () => {
    const call = (token?: string) =>
      createClient(
        Health,
        createConnectTransport({
          baseUrl: adminUrl,
          httpVersion: "1.1",
          ...(token !== undefined ? { interceptors: [bearer(token)] } : {}),
        }),
      ).check({});
    for (const token of [undefined, "", "wrong", ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`]) {
      const error = await call(token).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code, `token ${JSON.stringify(token)}`).toBe(Code.Unauthenticated);
    }
    expect((await call(ADMIN_TOKEN)).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    // Each refusal is logged, with why, never with what was sent.
    const refusals = logLines.filter((l) => l.includes("admin RPC refused"));
    expect(refusals.length).toBe(5);
    expect(refusals.join("\n")).toMatch(/"reason":"wrong token"/);
    for (const line of logLines) expect(line).not.toContain(ADMIN_TOKEN.slice(0, -1));
    // Admin services are not on the public port, nor the public ones on the admin port.
    const publicHealth = await fetch(`${adminUrl}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(publicHealth.status).toBe(401);
  });

  it("refuses a body larger than the limit with resource_exhausted", async () => {
    const res = await fetch(`${baseUrl}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "x".repeat(4096) }),
    });
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ code: "resource_exhausted" });
  });

  it("refuses a JSON body that is not valid UTF-8 with invalid_argument, rather than decoding it lossily", async () => {
    const body = Buffer.concat([Buffer.from('{"service":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]);
    const res = await fetch(`${baseUrl}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_argument" });
  });

  it("continues the caller's trace and answers its traceparent, or starts one", async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${baseUrl}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const continued = await call({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(continued.headers.get("traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const started = await call({});
    expect(started.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(started.headers.get("traceparent")).not.toContain(traceId);
  });

  it("answers unknown paths with 404", async () => {
    expect((await fetch(`${baseUrl}/nope`)).status).toBe(404);
  });
});
