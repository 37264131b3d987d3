import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { loadConfig } from "../../src/config.js";
import { startAuthService, type AuthService as RunningAuth } from "../../src/service.js";
import { authTestEnv } from "../support/auth-fixture.js";
import { rpcError } from "../support/rpc-error.js";

const PASSWORD = "hunter2-but-longer-and-unique-7f3a";

describe("passwords and hashes never leave auth", () => {
  const lines: string[] = [];
  let service: RunningAuth;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const { db, env } = await authTestEnv({ LOG_LEVEL: "trace" });
    drop = db.drop;
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    service = await startAuthService(loadConfig(env), pino({ level: "trace", base: { service: "auth" } }, sink));
  });
  afterAll(async () => {
    await service.stop();
    await drop();
  });

  it("logs and errors contain no password and no argon2 hash", async () => {
    const client = createClient(AuthService, createConnectTransport({ baseUrl: `http://127.0.0.1:${service.port}`, httpVersion: "1.1" }));
    await client.register({ email: "secret@example.com", password: PASSWORD });
    const errors = [
      await rpcError(client.register({ email: "secret@example.com", password: PASSWORD })),
      await rpcError(client.login({ email: "secret@example.com", password: `${PASSWORD}x` })),
      await rpcError(client.login({ email: "nobody@example.com", password: PASSWORD })),
      await rpcError(client.register({ email: "bad", password: PASSWORD })),
    ];
    await client.login({ email: "secret@example.com", password: PASSWORD });
    const everything = [...lines, ...errors.map((e) => `${e.message} ${JSON.stringify(e.details)} ${JSON.stringify([...e.metadata])}`)].join("\n");
    expect(lines.length).toBeGreaterThan(0); // the sink did receive the logs
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain("$argon2id$");
  });
});
