import { createServer, type Server } from "node:http";
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";

/**
 * A small OTLP/HTTP trace receiver for tests: POST /v1/traces with
 * `application/x-protobuf` (OTLP's http/protobuf) or `application/json`
 * (http/json). It keeps every span it was sent, flattened into one shape
 * whatever the encoding, so a test can wait for the spans it expects.
 */
export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  links: { traceId: string; spanId: string }[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  /** The resource's attributes: service.name, service.instance.id, ... */
  resource: Record<string, AttributeValue>;
  /** How it arrived. */
  encoding: "protobuf" | "json";
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export const STATUS_ERROR = 2;

export interface OtlpReceiver {
  /** The base URL to put in OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Requests received, by content type. */
  readonly requests: { protobuf: number; json: number };
  /** Resolves with the spans matching `predicate` once there are at least `count`, or rejects after `timeoutMs`. */
  waitFor(predicate: (span: ReceivedSpan) => boolean, count?: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/** `decode: false`: a sink that only counts requests (benchmarks: no decoding cost in the measured process). */
export async function startOtlpReceiver(options: { decode?: boolean } = {}): Promise<OtlpReceiver> {
  const decode = options.decode ?? true;
  const spans: ReceivedSpan[] = [];
  const requests = { protobuf: 0, json: 0 };
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const type = req.headers["content-type"] ?? "";
      try {
        if (type.startsWith("application/json")) {
          requests.json++;
          if (decode) spans.push(...fromJson(JSON.parse(body.toString("utf8"))));
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        } else {
          requests.protobuf++;
          if (decode) spans.push(...fromProtobuf(new Uint8Array(body)));
          res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
        }
      } catch (error) {
        res.writeHead(400).end(String(error));
        return;
      }
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitFor(predicate, count = 1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = spans.filter(predicate);
        if (found.length >= count) return found;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `expected ${count} matching span(s) within ${timeoutMs} ms, got ${found.length}; received: ${spans.map((s) => `${s.resource["service.name"]}:${s.name}`).join(", ")}`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, 250));
          function done() {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/* ---------- OTLP JSON (proto3 JSON mapping; ids as hex strings) ---------- */

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
  bytesValue?: string;
}
type JsonKeyValue = { key: string; value?: JsonAnyValue };

function jsonValue(v: JsonAnyValue | undefined): AttributeValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

const jsonAttributes = (list: JsonKeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
// http/json sends ids as hex (the OTLP spec) — some encoders send base64; accept both.
const jsonId = (id: string | undefined) => (!id ? "" : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, "base64").toString("hex"));

function fromJson(request: {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId?: string;
        spanId?: string;
        parentSpanId?: string;
        name?: string;
        kind?: number;
        attributes?: JsonKeyValue[];
        events?: { name?: string; attributes?: JsonKeyValue[] }[];
        links?: { traceId?: string; spanId?: string }[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: jsonId(s.traceId),
          spanId: jsonId(s.spanId),
          parentSpanId: jsonId(s.parentSpanId),
          name: s.name ?? "",
          kind: s.kind ?? 0,
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name ?? "", attributes: jsonAttributes(e.attributes) })),
          links: (s.links ?? []).map((l) => ({ traceId: jsonId(l.traceId), spanId: jsonId(l.spanId) })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
          resource,
          encoding: "json",
        });
      }
    }
  }
  return out;
}

/* ---------- OTLP protobuf (opentelemetry/proto trace/v1, read field by field) ---------- */

type Fields = (field: number, wire: WireType, reader: BinaryReader) => boolean;

/** Reads one length-delimited message, handing each field to `onField`; unknown fields are skipped. */
function readMessage(bytes: Uint8Array, onField: Fields): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (!onField(field, wire, reader)) reader.skip(wire, field);
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function anyValue(bytes: Uint8Array): AttributeValue {
  let value: AttributeValue = null;
  readMessage(bytes, (field, _wire, r) => {
    if (field === 1) value = r.string();
    else if (field === 2) value = r.bool();
    else if (field === 3) value = Number(r.int64());
    else if (field === 4) value = r.double();
    else if (field === 5) {
      const values: AttributeValue[] = [];
      readMessage(r.bytes(), (f, _w, rr) => {
        if (f !== 1) return false;
        values.push(anyValue(rr.bytes()));
        return true;
      });
      value = values;
    } else if (field === 7) value = hex(r.bytes());
    else return false;
    return true;
  });
  return value;
}

function keyValue(bytes: Uint8Array, into: Record<string, AttributeValue>): void {
  let key = "";
  let value: AttributeValue = null;
  readMessage(bytes, (field, _wire, r) => {
    if (field === 1) key = r.string();
    else if (field === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  into[key] = value;
}

/** keyValue for a callback that must say it consumed the field. */
function keyValueRead(bytes: Uint8Array, into: Record<string, AttributeValue>): true {
  keyValue(bytes, into);
  return true;
}

function span(bytes: Uint8Array, resource: Record<string, AttributeValue>): ReceivedSpan {
  const s: ReceivedSpan = {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    name: "",
    kind: 0,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: "" },
    resource,
    encoding: "protobuf",
  };
  readMessage(bytes, (field, _wire, r) => {
    switch (field) {
      case 1:
        s.traceId = hex(r.bytes());
        return true;
      case 2:
        s.spanId = hex(r.bytes());
        return true;
      case 4:
        s.parentSpanId = hex(r.bytes());
        return true;
      case 5:
        s.name = r.string();
        return true;
      case 6:
        s.kind = r.int32();
        return true;
      case 9:
        keyValue(r.bytes(), s.attributes);
        return true;
      case 11: {
        const event = { name: "", attributes: {} as Record<string, AttributeValue> };
        readMessage(r.bytes(), (f, _w, rr) => {
          if (f === 2) event.name = rr.string();
          else if (f === 3) keyValue(rr.bytes(), event.attributes);
          else return false;
          return true;
        });
        s.events.push(event);
        return true;
      }
      case 13: {
        const link = { traceId: "", spanId: "" };
        readMessage(r.bytes(), (f, _w, rr) => {
          if (f === 1) link.traceId = hex(rr.bytes());
          else if (f === 2) link.spanId = hex(rr.bytes());
          else return false;
          return true;
        });
        s.links.push(link);
        return true;
      }
      case 15:
        readMessage(r.bytes(), (f, _w, rr) => {
          if (f === 2) s.status.message = rr.string();
          else if (f === 3) s.status.code = rr.int32();
          else return false;
          return true;
        });
        return true;
      default:
        return false;
    }
  });
  return s;
}

function fromProtobuf(bytes: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
  readMessage(bytes, (field, _wire, r) => {
    if (field !== 1) return false;
    const resource: Record<string, AttributeValue> = {};
    const scopeSpans: Uint8Array[] = [];
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    readMessage(r.bytes(), (f, _w, rr) => {
      if (f === 1) readMessage(rr.bytes(), (ff, _ww, rrr) => ff === 1 && keyValueRead(rrr.bytes(), resource));
      else if (f === 2) scopeSpans.push(rr.bytes());
      else return false;
      return true;
    });
    // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
    for (const ss of scopeSpans) {
      readMessage(ss, (f, _w, rr) => {
        if (f !== 2) return false;
        out.push(span(rr.bytes(), resource));
        return true;
      });
    }
    return true;
  });
  return out;
}
