import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { ConsoleService } from "@acme/gen/acme/console/v1/console_pb";
import { ExportTraceServiceRequestSchema } from "@acme/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { freePort } from "@acme/devstack";
import { buildConsole, CONSOLE_NODE_FLAGS } from "../src/build.js";
import { decodeEvent } from "../src/event-tail.js";
import { startConsole, type RunningConsole } from "../src/server.js";

const hex = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) % 256));

/** An OTLP export as the services' exporters send it: one resource (a service), spans of one trace. */
function otlpExport(service: string, traceSeed: number, spans: { name: string; id: number; parent?: number; attributes?: Record<string, string> }[]) {
  return create(ExportTraceServiceRequestSchema, {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { value: { case: "stringValue", value: service } } }] },
        scopeSpans: [
          {
            spans: spans.map((s) => ({
              traceId: hex(16, traceSeed),
              spanId: hex(8, s.id),
              parentSpanId: s.parent ? hex(8, s.parent) : new Uint8Array(),
              name: s.name,
              kind: 2,
              startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(s.id) * 1_000_000n,
              endTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(s.id) * 1_000_000n + 500_000n,
              attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: { value: { case: "stringValue" as const, value: v } } })),
            })),
          },
        ],
      },
    ],
  });
}

const post = (url: string, body: string | Uint8Array, type: string) => fetch(`${url}/v1/traces`, { method: "POST", headers: { "content-type": type }, body });

describe("console server: OTLP/HTTP receiver and span ring", () => {
  let dir: string;
  let running: RunningConsole;
  let settings: { port: number; dir: string; spanLimit: number; webDir: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "acme-console-"));
    // NATS_URL points nowhere: the console must still serve traces and say what it cannot reach.
    process.env.NATS_URL = `nats://127.0.0.1:${await freePort()}`;
    settings = { port: 0, dir, spanLimit: 100, webDir: join(dir, "web") };
    running = await startConsole(settings);
  });
  afterAll(async () => {
    await running.close();
    delete process.env.NATS_URL;
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes protobuf and JSON exports and answers ListTraces and GetTrace", async () => {
    const proto = otlpExport("auth", 1, [
      { name: "POST /acme.auth.v1.AuthService/Register", id: 1 },
      { name: "auth.events send", id: 2, parent: 1, attributes: { "messaging.message.id": "evt-1" } },
    ]);
    expect((await post(running.url, toBinary(ExportTraceServiceRequestSchema, proto), "application/x-protobuf")).status).toBe(200);
    // OTLP JSON: ids in hex, as @opentelemetry/exporter-trace-otlp-http sends them.
    const json = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "profile" } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: hex(16, 1).toString("hex"),
                  spanId: hex(8, 3).toString("hex"),
                  parentSpanId: hex(8, 2).toString("hex"),
                  name: "auth.events process",
                  kind: 5,
                  startTimeUnixNano: "1700000000003000000",
                  endTimeUnixNano: "1700000000003500000",
                  attributes: [
                    { key: "messaging.message.id", value: { stringValue: "evt-1" } },
                    { key: "acme.event.outcome", value: { stringValue: "applied" } },
                  ],
                  status: { code: 2, message: "boom" },
                },
              ],
            },
          ],
        },
      ],
    };
    expect((await post(running.url, JSON.stringify(json), "application/json")).status).toBe(200);

    const client = createClient(ConsoleService, createConnectTransport({ baseUrl: running.url, httpVersion: "1.1" }));
    const { traces } = await client.listTraces({});
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({
      rootService: "auth",
      rootName: "POST /acme.auth.v1.AuthService/Register",
      services: ["auth", "profile"],
      spanCount: 3,
      errorCount: 1,
      eventIds: ["evt-1"],
    });
    const { spans } = await client.getTrace({ traceId: traces[0]!.traceId });
    expect(spans.map((s) => `${s.service}:${s.name}`)).toEqual([
      "auth:POST /acme.auth.v1.AuthService/Register",
      "auth:auth.events send",
      "profile:auth.events process",
    ]);
    expect(spans[2]!.parentSpanId).toBe(spans[1]!.spanId);
    expect(spans[2]!.attributes).toContainEqual(expect.objectContaining({ key: "acme.event.outcome", value: "applied" }));
    expect((await client.listTraces({ search: "evt-1" })).traces).toHaveLength(1);
    expect((await client.listTraces({ search: "no-such-thing" })).traces).toHaveLength(0);
  });

  it("answers a malformed body with 400 and keeps what it held", async () => {
    const before = running.ring.size;
    expect((await post(running.url, Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]), "application/x-protobuf")).status).toBe(400);
    expect((await post(running.url, "{not json", "application/json")).status).toBe(400);
    expect(
      (await post(running.url, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "abcd", spanId: "12" }] }] }] }), "application/json"))
        .status,
    ).toBe(400);
    expect(running.ring.size).toBe(before);
    expect(running.ring.trace(hex(16, 1).toString("hex"))).toHaveLength(3);
  });

  it("keeps at most the configured number of spans, and a restart keeps them", async () => {
    for (let t = 10; t < 16; t++) {
      const spans = Array.from({ length: 30 }, (_, i) => ({ name: `span ${i}`, id: i + 1, ...(i ? { parent: 1 } : {}) }));
      expect((await post(running.url, toBinary(ExportTraceServiceRequestSchema, otlpExport("billing", t, spans)), "application/x-protobuf")).status).toBe(200);
    }
    expect(running.ring.size).toBe(100);
    // The oldest went first: the first trace is gone, the newest is whole.
    expect(running.ring.trace(hex(16, 1).toString("hex"))).toHaveLength(0);
    expect(running.ring.trace(hex(16, 15).toString("hex"))).toHaveLength(30);
    const held = running.ring.traceIds().sort();

    await running.close();
    running = await startConsole(settings);
    expect(running.ring.size).toBe(100);
    expect(running.ring.traceIds().sort()).toEqual(held);
    expect(
      readFileSync(join(dir, "console", "spans.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean).length,
    ).toBeLessThanOrEqual(200);
  });

  it("lists the mail sink's messages newest first, with the trace from traceparent and the event from the Message-ID", async () => {
    const client = createClient(ConsoleService, createConnectTransport({ baseUrl: running.url, httpVersion: "1.1" }));
    const mailDir = join(dir, "mail"); // the default beside the launcher's files
    expect((await client.listMails({})).problem).toContain("no mail");
    mkdirSync(mailDir, { recursive: true });
    const eml = (messageId: string, to: string, subject: string, traceparent?: string) =>
      [
        "From: Acme <no-reply@acme.example>",
        `To: ${to}`,
        `Subject: ${subject}`,
        `Message-ID: ${messageId}`,
        "Date: Tue, 01 Dec 2026 18:47:00 +0000",
        ...(traceparent ? [`traceparent: ${traceparent}`] : []),
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        `Hello ${to}`,
        "--b",
        "Content-Type: text/html; charset=utf-8",
        "",
        `<p>Hello ${to}</p><script>alert(1)</script>`,
        "--b--",
        "",
      ].join("\r\n");
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    writeFileSync(
      join(mailDir, "1000-000001-1.eml"),
      eml(
        "<8d2c7e1a-0000-4000-8000-000000000001.welcome@notifications.acme.example>",
        "ada@example.com",
        "Welcome to Acme",
        `00-${traceId}-00f067aa0ba902b7-01`,
      ),
    );
    writeFileSync(join(mailDir, "1000-000002-1.eml"), eml("<other@elsewhere.example>", "grace@example.com", "Not from notifications"));
    writeFileSync(join(mailDir, ".1000-000003-1.eml.tmp"), "half a message");

    const all = await client.listMails({});
    expect(all.total).toBe(2);
    expect(all.problem).toBe("");
    expect(all.mails.map((m) => m.subject)).toEqual(["Not from notifications", "Welcome to Acme"]);
    const welcome = all.mails[1]!;
    expect(welcome).toMatchObject({
      to: ["ada@example.com"],
      traceId,
      eventId: "8d2c7e1a-0000-4000-8000-000000000001",
      template: "welcome",
      textBody: "Hello ada@example.com",
    });
    // The HTML is handed over as the sender wrote it: the page shows it only in a sandboxed frame.
    expect(welcome.htmlBody).toContain("<script>");
    expect(all.mails[0]).toMatchObject({ traceId: "", eventId: "", template: "" });
    expect((await client.listMails({ search: traceId })).mails.map((m) => m.file)).toEqual(["1000-000001-1.eml"]);
    expect((await client.listMails({ search: "GRACE@" })).mails.map((m) => m.file)).toEqual(["1000-000002-1.eml"]);
    expect((await client.listMails({ limit: 1 })).mails.map((m) => m.file)).toEqual(["1000-000002-1.eml"]);
  });

  it("says which part of the system it cannot reach", async () => {
    const client = createClient(ConsoleService, createConnectTransport({ baseUrl: running.url, httpVersion: "1.1" }));
    const deadline = Date.now() + 20_000;
    let problems: string[] = [];
    while (Date.now() < deadline) {
      problems = (await client.getTopology({})).problems;
      if (problems.some((p) => p.startsWith("NATS"))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(problems.some((p) => p.startsWith("NATS at nats://127.0.0.1:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("auth: cannot reach"))).toBe(true);
  });
});

describe("decoding events by ce-type through the generated registry", () => {
  it("decodes a known type to JSON", () => {
    const body = toBinary(UserRegisteredSchema, create(UserRegisteredSchema, { userId: "u-1", email: "ada@example.com" }));
    const event = decodeEvent(
      7,
      "auth.events.user.registered",
      0,
      [
        ["ce-type", "acme.auth.events.v1.UserRegistered"],
        ["ce-id", "e-1"],
        ["traceparent", `00-${"a".repeat(32)}-${"b".repeat(16)}-01`],
      ],
      body,
    );
    expect(event.note).toBe("");
    expect(JSON.parse(event.payloadJson)).toMatchObject({ userId: "u-1", email: "ada@example.com" });
    expect(event.traceId).toBe("a".repeat(32));
  });

  it("shows an unknown type raw, with a note", () => {
    const event = decodeEvent(8, "auth.events.x", 0, [["ce-type", "acme.auth.events.v9.SomethingNew"]], new Uint8Array([1, 2, 3]));
    expect(event.payloadJson).toBe("");
    expect(event.note).toMatch(/not in this console's registry/);
    expect([...event.body]).toEqual([1, 2, 3]);
  });

  it("shows bytes that are not the type they claim raw, with a note", () => {
    const event = decodeEvent(9, "auth.events.x", 0, [["ce-type", "acme.auth.events.v1.UserRegistered"]], new Uint8Array([0xff, 0xff, 0xff]));
    expect(event.payloadJson).toBe("");
    expect(event.note).toMatch(/not a valid acme.auth.events.v1.UserRegistered/);
  });
});

describe("console server memory", () => {
  it("stays under 100 MB resident with its span ring full (10,000 spans)", async () => {
    await buildConsole({ onlyIfStale: true });
    const dir = mkdtempSync(join(tmpdir(), "acme-console-mem-"));
    const port = await freePort();
    const child = spawn(process.execPath, [...CONSOLE_NODE_FLAGS, "dist/main.mjs"], {
      cwd: join(import.meta.dirname, ".."),
      env: { ...process.env, CONSOLE_PORT: String(port), DEVSTACK_DIR: dir, CONSOLE_SPAN_LIMIT: "10000", NATS_URL: `nats://127.0.0.1:${await freePort()}` },
      stdio: "ignore",
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      while (
        !(await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      )
        await new Promise((resolve) => setTimeout(resolve, 100));
      // 120 exports of 100 spans with realistic attributes: the ring fills and wraps.
      for (let t = 0; t < 120; t++) {
        const spans = Array.from({ length: 100 }, (_, i) => ({
          name: `auth.events process ${i}`,
          id: i + 1,
          ...(i ? { parent: 1 } : {}),
          attributes: {
            "messaging.message.id": `evt-${t}-${i}`,
            "messaging.destination.name": "AUTH_EVENTS",
            "messaging.consumer.group.name": "profile",
            "acme.event.outcome": "applied",
            "rpc.method": "Register",
          },
        }));
        const res = await post(url, toBinary(ExportTraceServiceRequestSchema, otlpExport("profile", t + 1000, spans)), "application/x-protobuf");
        expect(res.status).toBe(200);
      }
      const topology = await createClient(ConsoleService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" })).getTopology({});
      expect(topology.spansHeld).toBe(10_000n);
      await createClient(ConsoleService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" })).listTraces({});
      const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) / 1024;
      console.log(`console server resident with 10,000 spans held: ${rssMb.toFixed(1)} MB`);
      expect(rssMb).toBeLessThan(100);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
