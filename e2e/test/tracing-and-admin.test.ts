import { randomBytes, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthAdminService } from "@acme/gen/acme/admin/v1/auth_admin_pb";
import { ConsumerStatusService, DeadLetterService, ReplayOutcome_Result } from "@acme/gen/acme/admin/v1/consumer_admin_pb";
import { UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { createLogger } from "@acme/kit/logging";
import { natsUrl } from "@acme/testing";
import { SPAN_KIND, startOtlpReceiver, STATUS_ERROR, type OtlpReceiver, type ReceivedSpan } from "@acme/testing/otlp-receiver";
import { eventually, startSystem, type System } from "./support/system.js";
import { bearer } from "@acme/testing/bearer";

const PASSWORD = "correct horse battery staple";

/**
 * The three services exporting spans (OTLP http/protobuf) to a receiver in
 * this test: one registration is followed by trace id from auth's RPC
 * through its transaction, hash and outbox row, the relay's publish, to
 * each consumer's process span and transaction. Then the admin port: its
 * token, the dead-letter calls (a forged letter refused) and the status calls.
 */
describe("traces from RPC to every consumer, and the admin RPCs", () => {
  let receiver: OtlpReceiver;
  let system: System;
  let nc: NatsConnection;
  let js: JetStreamClient;
  const profileLog: Record<string, unknown>[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split("\n")) if (line.trim()) profileLog.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    system = await startSystem(
      { profile: createLogger("profile", "info", sink) },
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "50", CONSUMER_MAX_DELIVER: "2", CONSUMER_BACKOFF_MS: "50" },
    );
    nc = await connect({ servers: natsUrl() });
    js = jetstream(nc);
  });
  afterAll(async () => {
    await nc?.drain();
    await system?.stop();
    await receiver?.close();
  });

  const admin = <S extends Parameters<typeof createClient>[0]>(service: S, port: number, token?: string): Client<S> =>
    createClient(
      service,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${port}`,
        httpVersion: "1.1",
        ...(token !== undefined ? { interceptors: [bearer(token)] } : {}),
      }),
    );

  const one = (spans: ReceivedSpan[], service: string, name: string): ReceivedSpan => {
    const found = spans.filter((s) => s.resource["service.name"] === service && s.name === name);
    expect(found, `${service}: ${name} in ${spans.map((s) => `${s.resource["service.name"]}:${s.name}`).join(", ")}`).toHaveLength(1);
    return found[0]!;
  };

  it("a Register with a known traceparent yields spans of that trace from auth, the relay, profile and billing", async () => {
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const email = `traced-${randomUUID()}@example.com`;
    const { userId } = await system.auth.register({ email, password: PASSWORD }, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });

    const inTrace = (s: ReceivedSpan) => s.traceId === traceId;
    // server, transaction, hash, create, send (auth); process + transaction in profile and in billing.
    await receiver.waitFor((s) => inTrace(s) && s.name.startsWith("process "), 2);
    await receiver.waitFor((s) => inTrace(s) && s.name === "transaction apply_batch", 2);
    const spans = await receiver.waitFor(inTrace, 9);

    const server = one(spans, "auth", "acme.auth.v1.AuthService/Register");
    expect(server).toMatchObject({ kind: SPAN_KIND.server, parentSpanId: callerSpanId });
    expect(server.attributes).toMatchObject({ "rpc.system.name": "connectrpc", "rpc.service": "acme.auth.v1.AuthService", "rpc.method": "Register" });
    expect(typeof server.resource["service.instance.id"]).toBe("string");
    expect(server.resource["service.version"]).toBeTruthy();
    const hash = one(spans, "auth", "argon2id hash");
    expect(hash.parentSpanId).toBe(server.spanId);
    const transaction = one(spans, "auth", "transaction register");
    expect(transaction).toMatchObject({ kind: SPAN_KIND.client, parentSpanId: server.spanId });
    expect(transaction.attributes).toMatchObject({ "db.system.name": "postgresql", "db.operation.name": "transaction" });
    const subject = `${system.names.subjectPrefix}.user_registered.v1`;
    const created = one(spans, "auth", `create ${subject}`);
    expect(created).toMatchObject({ kind: SPAN_KIND.producer, parentSpanId: transaction.spanId });
    const eventId = created.attributes["messaging.message.id"];
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    const send = one(spans, "auth", `send ${subject}`);
    expect(send).toMatchObject({ kind: SPAN_KIND.producer, parentSpanId: created.spanId });
    expect(send.links).toEqual([{ traceId, spanId: created.spanId }]);
    expect(send.attributes).toMatchObject({ "messaging.system": "nats", "messaging.destination.name": subject, "messaging.message.id": eventId });

    for (const consumer of ["profile", "billing"]) {
      const process = one(spans, consumer, `process ${subject}`);
      expect(process).toMatchObject({ kind: SPAN_KIND.consumer, parentSpanId: created.spanId });
      expect(process.links).toEqual([{ traceId, spanId: created.spanId }]);
      expect(process.attributes).toMatchObject({
        "messaging.system": "nats",
        "messaging.message.id": eventId,
        "messaging.destination.name": subject,
        "messaging.consumer.group.name": consumer,
        "acme.event.outcome": "applied",
      });
      const applied = one(spans, consumer, "transaction apply_batch");
      expect(applied.parentSpanId).toBe(process.spanId);
      expect(applied.attributes["db.system.name"]).toBe("postgresql");
    }

    // Whether the event was applied, from the admin port.
    const lookup = await admin(ConsumerStatusService, system.adminPorts.profile, system.adminToken).lookupEvents({ eventIds: [String(eventId), randomUUID()] });
    expect(lookup.events.map((e) => e.applied)).toEqual([true, false]);
    expect(lookup.events[0]!.appliedAt).toBeDefined();
    expect(userId).toBeTruthy();
  });

  it("an unparseable traceparent starts a new trace and is no error", async () => {
    let answered = "";
    await system.auth.register(
      { email: `untraced-${randomUUID()}@example.com`, password: PASSWORD },
      { headers: { traceparent: "00-zzzz-not-a-trace" }, onHeader: (h) => (answered = h.get("traceparent") ?? "") },
    );
    expect(answered).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("no span, event or resource attribute holds an email, a password, a token or a hash", async () => {
    const email = `secret-${randomUUID()}@example.com`;
    const { userId } = await system.auth.register({ email, password: PASSWORD });
    const { accessToken } = await system.auth.login({ email, password: PASSWORD });
    await eventually(() => system.profile.getProfile({ userId }, { headers: { authorization: `Bearer ${accessToken}` } }));
    const [getProfile] = await receiver.waitFor((s) => s.name === "acme.profile.v1.ProfileService/GetProfile" && s.resource["service.name"] === "profile");
    // A log line written inside a span carries its trace and span ids: here profile's access line of that call.
    const accessLine = profileLog.find((l) => l.msg === "rpc" && l.procedure === "acme.profile.v1.ProfileService/GetProfile");
    expect(accessLine).toMatchObject({ trace_id: getProfile!.traceId, span_id: getProfile!.spanId });
    const jwks = receiver.spans.find((s) => s.resource["service.name"] === "profile" && s.attributes["acme.fetch.purpose"] === "fetch JWKS");
    expect(jwks).toMatchObject({ kind: SPAN_KIND.client, traceId: getProfile!.traceId });
    const everything = JSON.stringify(receiver.spans.map((s) => [s.name, s.attributes, s.events, s.resource, s.status]));
    for (const secret of [email, "@example.com", PASSWORD, accessToken, "$argon2id"]) expect(everything).not.toContain(secret);
    expect(receiver.requests.protobuf).toBeGreaterThan(0);
  });

  it("a poison event's process span has error status and a dead_letter event", async () => {
    const traceId = randomBytes(16).toString("hex");
    const eventId = randomUUID();
    const h = natsHeaders();
    h.set("ce-id", eventId);
    h.set("ce-type", UserRegisteredSchema.typeName);
    h.set("ce-source", "/acme/auth");
    h.set("ce-specversion", "1.0");
    h.set("traceparent", `00-${traceId}-${randomBytes(8).toString("hex")}-01`);
    await js.publish(`${system.names.subjectPrefix}.user_registered.v1`, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), { headers: h, msgID: eventId });
    const [process] = await receiver.waitFor((s) => s.traceId === traceId && s.resource["service.name"] === "profile" && s.name.startsWith("process "));
    expect(process!.status.code).toBe(STATUS_ERROR);
    expect(process!.attributes).toMatchObject({
      "acme.event.outcome": "dead-lettered",
      "messaging.message.id": eventId,
      "messaging.consumer.group.name": "profile",
    });
    expect(process!.events.map((e) => e.name)).toContain("dead_letter");
    expect(process!.events.find((e) => e.name === "dead_letter")!.attributes["acme.dead_letter.reason"]).toBe("undecodable");
  });

  it("admin RPCs refuse a missing or wrong token and work with the right one", async () => {
    for (const token of [undefined, "wrong-token-0123456789"]) {
      for (const call of [
        () => admin(AuthAdminService, system.adminPorts.auth, token).getOutboxStatus({}),
        () => admin(DeadLetterService, system.adminPorts.profile, token).listDeadLetters({}),
        () => admin(ConsumerStatusService, system.adminPorts.billing, token).getConsumerStatus({}),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        expect(error?.code).toBe(Code.Unauthenticated);
      }
    }
    const outbox = await eventually(
      () => admin(AuthAdminService, system.adminPorts.auth, system.adminToken).getOutboxStatus({}),
      (o) => o.unsent === 0n,
    );
    expect(outbox).toMatchObject({ answeringInstanceRelays: true });
    expect(outbox.relayInstance).toMatch(/^[0-9a-f-]{36}$/);
    expect(outbox.sentRetained).toBeGreaterThan(0n);
    const keys = await admin(AuthAdminService, system.adminPorts.auth, system.adminToken).listSigningKeys({});
    expect(keys.keys.filter((k) => k.active)).toHaveLength(1);
    expect(JSON.stringify(keys.keys.map((k) => Object.keys(k)))).not.toMatch(/private|"d"/);
    const status = await admin(ConsumerStatusService, system.adminPorts.billing, system.adminToken).getConsumerStatus({});
    expect(status).toMatchObject({ stream: system.names.stream, consumer: "billing", deadLetterStream: system.names.dlqBilling });
    expect(status.lastAppliedEventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a dead letter is listed, shown decoded, replayed from the original and purged; a forged one is refused", async () => {
    const dlq = admin(DeadLetterService, system.adminPorts.profile, system.adminToken);
    // A real dead letter: an event profile refuses (no valid email), dead-lettered by the consumer itself.
    const userId = randomUUID();
    const invalid = await publishRegistered(userId, "not-an-email");
    const listed = await eventually(
      () => dlq.listDeadLetters({ pageSize: 1 }),
      (r) => r.total >= 2n,
    );
    expect(listed.deadLetters).toHaveLength(1);
    expect(listed.nextPageToken).not.toBe("");
    const all = await dlq.listDeadLetters({ pageSize: 500 });
    const letter = all.deadLetters.find((l) => l.eventId === invalid.id)!;
    expect(letter).toMatchObject({ reason: "invalid-event", originalStream: system.names.stream, originalSequence: BigInt(invalid.seq), consumer: "profile" });
    const shown = await dlq.getDeadLetter({ sequence: letter.sequence });
    expect(JSON.parse(shown.payloadJson)).toMatchObject({ userId, email: "not-an-email" });
    expect(shown.decodeError).toBe("");

    // Replayed from the original, it fails the same way and stays.
    const again = await dlq.replayDeadLetter({ sequences: [letter.sequence] });
    expect(again.outcomes[0]).toMatchObject({ result: ReplayOutcome_Result.FAILED, eventId: invalid.id });

    // A letter for a good original (as the consumer writes one after a transient failure): replay applies the original.
    const goodUser = randomUUID();
    const good = await publishRegistered(goodUser, "good@example.org");
    await eventually(
      () => lookup(good.id),
      (applied) => applied,
    );
    await forgetApplied(good.id, goodUser);
    const goodLetter = await publishLetter(good.seq, good.id, good.body);
    const replayed = await dlq.replayDeadLetter({ sequences: [goodLetter] });
    expect(replayed.outcomes[0]).toMatchObject({ result: ReplayOutcome_Result.APPLIED, eventId: good.id });
    expect(await lookup(good.id)).toBe(true);

    // Forged: a letter naming a real original but carrying another body, and one naming an original that does not exist.
    const forgedBody = toBinary(
      UserRegisteredSchema,
      create(UserRegisteredSchema, { userId: randomUUID(), email: "forged@example.org", registeredAt: timestampFromDate(new Date()), revision: 1n }),
    );
    const forged = await publishLetter(good.seq, good.id, forgedBody);
    const missing = await publishLetter(9_999_999, randomUUID(), forgedBody);
    const refused = await dlq.replayDeadLetter({ sequences: [forged, missing, 123_456_789n] });
    expect(refused.outcomes.map((o) => o.result)).toEqual([ReplayOutcome_Result.REFUSED, ReplayOutcome_Result.REFUSED, ReplayOutcome_Result.NOT_FOUND]);
    const kept = await dlq.listDeadLetters({ pageSize: 500 });
    expect(kept.deadLetters.map((l) => l.sequence)).toEqual(expect.arrayContaining([forged, missing, letter.sequence]));

    expect((await dlq.purgeDeadLetters({ sequences: [forged] })).purged).toBe(1n);
    const purgedAll = await dlq.purgeDeadLetters({ all: true });
    expect(purgedAll.purged).toBeGreaterThanOrEqual(2n);
    expect((await dlq.listDeadLetters({})).total).toBe(0n);
  });

  async function lookup(eventId: string): Promise<boolean> {
    const { events } = await admin(ConsumerStatusService, system.adminPorts.profile, system.adminToken).lookupEvents({ eventIds: [eventId] });
    return events[0]!.applied;
  }

  async function publishRegistered(userId: string, email: string): Promise<{ id: string; seq: number; body: Uint8Array }> {
    const id = randomUUID();
    const body = toBinary(UserRegisteredSchema, create(UserRegisteredSchema, { userId, email, registeredAt: timestampFromDate(new Date()), revision: 1n }));
    const h = natsHeaders();
    h.set("ce-id", id);
    h.set("ce-type", UserRegisteredSchema.typeName);
    h.set("ce-source", "/acme/auth");
    h.set("ce-specversion", "1.0");
    h.set("ce-subject", userId);
    const ack = await js.publish(`${system.names.subjectPrefix}.user_registered.v1`, body, { headers: h, msgID: id });
    return { id, seq: ack.seq, body };
  }

  /** Publishes a dead letter the way the consumer does (its headers), with the given body. */
  async function publishLetter(originalSeq: number, eventId: string, body: Uint8Array): Promise<bigint> {
    const subject = `${system.names.subjectPrefix}.user_registered.v1`;
    const h = natsHeaders();
    h.set("ce-id", eventId);
    h.set("ce-type", UserRegisteredSchema.typeName);
    h.set("dlq-reason", "max-deliveries");
    h.set("dlq-error", "database was away");
    h.set("dlq-original-stream", system.names.stream);
    h.set("dlq-original-subject", subject);
    h.set("dlq-original-sequence", String(originalSeq));
    h.set("dlq-consumer", "profile");
    const ack = await js.publish(`${system.names.dlqProfilePrefix}.${subject}`, body, { headers: h, msgID: randomUUID() });
    return BigInt(ack.seq);
  }

  /** Makes profile forget it applied an event (as if the apply had failed), so a replay has work to do. */
  async function forgetApplied(eventId: string, userId: string): Promise<void> {
    const postgres = (await import("postgres")).default;
    const sql = postgres(system.databases.profile.url, { max: 1, onnotice: () => {} });
    try {
      await sql`delete from processed_events where event_id = ${eventId}`;
      await sql`delete from profiles where user_id = ${userId}`;
    } finally {
      await sql.end();
    }
    expect(await lookup(eventId)).toBe(false);
  }
});
