import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@acme/gen/grpc/health/v1/health_pb";
import * as v1 from "@acme/gen/grpc/reflection/v1/reflection_pb";
import * as v1alpha from "@acme/gen/grpc/reflection/v1alpha/reflection_pb";
import { createLogger } from "../src/logging.js";
import { trace } from "../src/observability/spans.js";
import { createMetrics } from "../src/server/metrics.js";
import { startServiceServer, type ServiceServer } from "../src/server/service-server.js";

async function* stream<T>(...items: T[]): AsyncIterable<T> {
  yield* items;
}

/** grpcurl's conversation, over real HTTP/2 gRPC: list the services, then fetch the file that defines one. */
describe("gRPC server reflection on a service's port", () => {
  let server: ServiceServer;
  let baseUrl: string;

  beforeAll(async () => {
    server = await startServiceServer({
      service: "kit-test",
      rpcServiceNames: [],
      // A real service's handlers: health is what every kit server serves.
      routes: () => {},
      port: 0,
      readiness: {},
      metrics: createMetrics("kit-reflection-test"),
      logger: createLogger("kit-test", "silent"),
      tracer: trace.getTracer("kit-test"),
      admin: { port: 0, routes: () => {} },
    });
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.shutdown(1_000));

  async function ask(request: Omit<v1.ServerReflectionRequest, "$typeName" | "host">): Promise<v1.ServerReflectionResponse> {
    const client = createClient(v1.ServerReflection, createGrpcTransport({ baseUrl }));
    for await (const response of client.serverReflectionInfo(stream(create(v1.ServerReflectionRequestSchema, request)))) return response;
    throw new Error("no response");
  }

  it("lists the services it serves (v1)", async () => {
    const response = await ask({ messageRequest: { case: "listServices", value: "*" } });
    expect(response.messageResponse.case).toBe("listServicesResponse");
    const names = response.messageResponse.case === "listServicesResponse" ? response.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining([Health.typeName, "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]));
  });

  it("fetches the file descriptor containing a method, decodable with its services", async () => {
    const response = await ask({ messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.Health.Check" } });
    expect(response.messageResponse.case).toBe("fileDescriptorResponse");
    const files =
      response.messageResponse.case === "fileDescriptorResponse"
        ? response.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b))
        : [];
    const health = files.find((f) => f.name === "grpc/health/v1/health.proto");
    expect(health?.service.map((s) => s.name)).toEqual(["Health"]);
    expect(health?.service[0]?.method.map((m) => m.name)).toEqual(expect.arrayContaining(["Check", "Watch"]));
  });

  it("says NOT_FOUND for a symbol it does not serve", async () => {
    const response = await ask({ messageRequest: { case: "fileContainingSymbol", value: "acme.nothing.v1.Nope" } });
    expect(response.messageResponse.case).toBe("errorResponse");
    expect(response.messageResponse.case === "errorResponse" && response.messageResponse.value.errorCode).toBe(5);
  });

  it("answers the older v1alpha the same way (tools still ask for it first)", async () => {
    const client = createClient(v1alpha.ServerReflection, createGrpcTransport({ baseUrl }));
    const requests = [create(v1alpha.ServerReflectionRequestSchema, { messageRequest: { case: "fileByFilename", value: "grpc/health/v1/health.proto" } })];
    for await (const response of client.serverReflectionInfo(stream(...requests))) {
      expect(response.messageResponse.case).toBe("fileDescriptorResponse");
      const file =
        response.messageResponse.case === "fileDescriptorResponse"
          ? fromBinary(FileDescriptorProtoSchema, response.messageResponse.value.fileDescriptorProto[0]!)
          : undefined;
      expect(file?.package).toBe("grpc.health.v1");
      return;
    }
    throw new Error("no response");
  });
});

describe("CORS on a service's public port", () => {
  const CONSOLE = "http://127.0.0.1:8080";
  let server: ServiceServer;
  let baseUrl: string;

  beforeAll(async () => {
    process.env.CORS_ALLOWED_ORIGINS = CONSOLE;
    try {
      server = await startServiceServer({
        service: "kit-test",
        rpcServiceNames: [],
        routes: () => {},
        port: 0,
        readiness: {},
        metrics: createMetrics("kit-cors-test"),
        logger: createLogger("kit-test", "silent"),
        tracer: trace.getTracer("kit-test"),
        admin: { port: 0, routes: () => {} },
      });
    } finally {
      delete process.env.CORS_ALLOWED_ORIGINS;
    }
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.shutdown(1_000));

  const preflight = (origin: string) =>
    fetch(`${baseUrl}/grpc.health.v1.Health/Check`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });

  it("answers the console's origin, with connect's methods and headers", async () => {
    const res = await preflight(CONSOLE);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
    expect(res.headers.get("access-control-allow-headers")).toMatch(/connect-protocol-version/i);
    expect(res.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    const call = await fetch(`${baseUrl}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { origin: CONSOLE, "content-type": "application/json" },
      body: "{}",
    });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe(CONSOLE);
  });

  it("gives any other origin no CORS headers, so its browser refuses", async () => {
    const res = await preflight("http://evil.example");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
