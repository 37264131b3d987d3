import { Writable } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startSystem, type System } from "./support/system.js";

const PASSWORD = "correct horse battery staple";

async function notFound(call: Promise<unknown>): Promise<boolean> {
  return call.then(
    () => false,
    (error: unknown) => ConnectError.from(error).code === Code.NotFound,
  );
}

describe("end to end: auth's events reach profile and billing", () => {
  let system: System;
  const profileLog: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        profileLog.push(String(chunk));
        callback();
      },
    });
    system = await startSystem({ profile: pino({ level: "debug", base: { service: "profile" } }, sink) });
  });
  afterAll(() => system.stop());

  it("a registration, an email change and a deletion each reach both services", async () => {
    const { userId } = await system.auth.register({ email: "ada@example.com", password: PASSWORD });
    const { accessToken } = await system.auth.login({ email: "ada@example.com", password: PASSWORD });
    const headers = { authorization: `Bearer ${accessToken}` };

    const { profile } = await eventually(() => system.profile.getProfile({ userId }, { headers }));
    expect(profile).toMatchObject({ userId, displayName: "ada@example.com" });
    const { contact } = await eventually(() => system.billing.getBillingContact({ userId }, { headers }));
    expect(contact).toMatchObject({ userId, billingEmail: "ada@example.com" });

    await system.auth.changeEmail({ newEmail: "ada.lovelace@example.com", currentPassword: PASSWORD }, { headers });
    await eventually(
      () => system.billing.getBillingContact({ userId }, { headers }),
      (r) => r.contact?.billingEmail === "ada.lovelace@example.com",
    );
    await eventually(
      () => system.profile.getProfile({ userId }, { headers }),
      (r) => r.profile?.displayName === "ada.lovelace@example.com",
    );

    await system.auth.deleteAccount({ currentPassword: PASSWORD }, { headers });
    await eventually(
      () => notFound(system.profile.getProfile({ userId }, { headers })),
      (gone) => gone,
    );
    await eventually(
      () => notFound(system.billing.getBillingContact({ userId }, { headers })),
      (gone) => gone,
    );
  });

  it("one trace id follows a registration from auth's RPC to profile applying its event", async () => {
    let traceparent = "";
    await system.auth.register({ email: "traced@example.com", password: PASSWORD }, { onHeader: (h) => (traceparent = h.get("traceparent") ?? "") });
    const traceId = traceparent.split("-")[1]!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const applied = await eventually(
      async () => profileLog.find((line) => line.includes(traceId)),
      (line) => line !== undefined,
    );
    expect(JSON.parse(applied!)).toMatchObject({ msg: "event applied", type: "acme.auth.events.v1.UserRegistered", traceId });
  });

  it("a user cannot read another user's profile or billing contact", async () => {
    const { userId: ada } = await system.auth.register({ email: "ada2@example.com", password: PASSWORD });
    await system.auth.register({ email: "mallory@example.com", password: PASSWORD });
    const { accessToken } = await system.auth.login({ email: "mallory@example.com", password: PASSWORD });
    const headers = { authorization: `Bearer ${accessToken}` };
    await expect(system.profile.getProfile({ userId: ada }, { headers })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(system.billing.getBillingContact({ userId: ada }, { headers })).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});
