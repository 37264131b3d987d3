import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startSystem, type System } from "./support/system.js";

const PASSWORD = "correct horse battery staple";

/** A trace collector that refuses connections must change nothing a user sees. */
describe("with the trace exporter down", () => {
  let system: System;
  beforeAll(async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    system = await startSystem(
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`, OTEL_BSP_SCHEDULE_DELAY: "20", OTEL_EXPORTER_OTLP_TIMEOUT: "500" },
    );
  });
  afterAll(() => system?.stop());

  it("every RPC and every event still works, and the dropped spans are counted", async () => {
    const email = `down-${randomUUID()}@example.com`;
    const { userId } = await system.auth.register({ email, password: PASSWORD });
    const { accessToken } = await system.auth.login({ email, password: PASSWORD });
    const headers = { authorization: `Bearer ${accessToken}` };
    const { profile } = await eventually(() => system.profile.getProfile({ userId }, { headers }));
    expect(profile?.displayName).toBe(email);
    const { contact } = await eventually(() => system.billing.getBillingContact({ userId }, { headers }));
    expect(contact?.billingEmail).toBe(email);
    await system.auth.deleteAccount({ currentPassword: PASSWORD }, { headers });

    const dropped = async (port: number) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text
        .split("\n")
        .filter((l) => l.startsWith("otel_spans_dropped_total"))
        .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    };
    await eventually(
      () => dropped(system.adminPorts.auth),
      (n) => n > 0,
    );
    await eventually(
      () => dropped(system.adminPorts.profile),
      (n) => n > 0,
    );
  });
});
