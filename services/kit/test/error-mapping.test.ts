import { Writable } from "node:stream";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { Health } from "@acme/gen/grpc/health/v1/health_pb";
import { createLogger } from "../src/logging.js";
import { trace } from "../src/observability/spans.js";
import { createMetrics } from "../src/server/metrics.js";
import { startServiceServer, type ServiceServer } from "../src/server/service-server.js";

const ADMIN_TOKEN = "admin-token-for-this-test-0123456789";
const PASSWORD = "a password that must never be logged 5c1e";
const SECRET_CAUSE = 'relation "credentials" does not exist at character 42';

/** A domain error of the test service: a rule the request broke. */
class RuleBroken extends Error {}

/** What the handler throws, chosen by the request's email. */
function failure(kind: string): unknown {
  if (kind === "rule") return new RuleBroken("email: that is not how emails look");
  if (kind === "connect") return new ConnectError("the handler chose these words", Code.FailedPrecondition);
  if (kind === "database") return Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
  return new Error(SECRET_CAUSE);
}

/** The error a call fails with. */
async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error("expected the call to fail, but it succeeded");
  return ConnectError.from(error);
}

describe("the server's error mapping (kit/src/server/error-mapping.ts), over a real server", () => {
  let server: ServiceServer;
  const logLines: string[] = [];
  const logged = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    server = await startServiceServer({
      service: "toy",
      rpcServiceNames: [AuthService.typeName],
      routes: (router) =>
        router.service(AuthService, {
          register: async (request) => {
            throw failure(request.email);
          },
        }),
      toConnectError: (error) => (error instanceof RuleBroken ? new ConnectError(error.message, Code.InvalidArgument) : undefined),
      port: 0,
      readiness: {},
      metrics: createMetrics("toy"),
      logger: createLogger(
        "toy",
        "info",
        new Writable({
          write(chunk, _encoding, callback) {
            logLines.push(String(chunk));
            callback();
          },
        }),
      ),
      tracer: trace.getTracer("toy"),
      admin: {
        port: 0,
        token: ADMIN_TOKEN,
        routes: (router) =>
          router.service(Health, {
            check: async () => {
              throw new Error(SECRET_CAUSE);
            },
          }),
      },
    });
  });
  afterAll(() => server.shutdown(1_000));

  const transports: Array<[string, () => Transport]> = [
    ["Connect", () => createConnectTransport({ baseUrl: `http://127.0.0.1:${server.port}`, httpVersion: "1.1" })],
    ["gRPC", () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` })],
  ];

  it.each(transports)("an unexpected error is `internal error` over %s: its message stays in the log, once, without the request", async (_name, transport) => {
    logLines.length = 0;
    const error = await rejection(createClient(AuthService, transport()).register({ email: "bug", password: PASSWORD }));

    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("internal error");
    const answered = `${error.message} ${JSON.stringify(error.details)} ${JSON.stringify([...error.metadata])}`;
    expect(answered).not.toContain("credentials");
    expect(answered).not.toContain(PASSWORD);

    const causes = logged().filter((line) => line.msg === "unexpected error");
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ procedure: "acme.auth.v1.AuthService/Register", err: { message: expect.stringContaining(SECRET_CAUSE) } });
    // The request (email, password) is never logged; the RPC line records the mapped code.
    expect(logLines.join("\n")).not.toContain(PASSWORD);
    expect(logged().find((line) => line.msg === "rpc")).toMatchObject({ procedure: "acme.auth.v1.AuthService/Register", code: "internal" });
  });

  it.each(transports)("a domain error keeps its message and gets the service's code over %s; nothing is logged as unexpected", async (_name, transport) => {
    logLines.length = 0;
    const error = await rejection(createClient(AuthService, transport()).register({ email: "rule", password: PASSWORD }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("email: that is not how emails look");
    expect(logged().filter((line) => line.msg === "unexpected error")).toEqual([]);
  });

  it("a ConnectError passes as the handler threw it", async () => {
    const error = await rejection(createClient(AuthService, transports[0]![1]()).register({ email: "connect" }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe("the handler chose these words");
  });

  it("an unreachable database is `unavailable`, naming the service", async () => {
    const error = await rejection(createClient(AuthService, transports[0]![1]()).register({ email: "database" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe("toy's database is unavailable right now; try again shortly");
  });

  it("maps the admin port's RPCs too", async () => {
    logLines.length = 0;
    const transport = createConnectTransport({ baseUrl: `http://127.0.0.1:${server.adminPort}`, httpVersion: "1.1" });
    const error = await rejection(createClient(Health, transport).check({ service: "" }, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("internal error");
    expect(logged().filter((line) => line.msg === "unexpected error")).toHaveLength(1);
  });
});
