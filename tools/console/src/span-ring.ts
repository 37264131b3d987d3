import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fromBinary, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { ExportTraceServiceRequestSchema, type ExportTraceServiceRequest } from "@acme/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import type { AnyValue, KeyValue } from "@acme/gen/opentelemetry/proto/common/v1/common_pb";
import { Span_SpanKind, Status_StatusCode } from "@acme/gen/opentelemetry/proto/trace/v1/trace_pb";

/** One span as the console keeps it: plain, JSON-safe, ids in hex, times in nanoseconds as decimal text. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  kind: string;
  start: string;
  end: string;
  statusCode: string;
  statusMessage: string;
  attributes: [string, string][];
  events: { name: string; time: string; attributes: [string, string][] }[];
  links: string[];
}

export class MalformedOtlp extends Error {}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function text(value: AnyValue | undefined): string {
  const v = value?.value;
  switch (v?.case) {
    case "stringValue":
      return v.value;
    case "boolValue":
    case "intValue":
    case "doubleValue":
      return String(v.value);
    case "bytesValue":
      return hex(v.value);
    case "arrayValue":
      return JSON.stringify(v.value.values.map(text));
    case "kvlistValue":
      return JSON.stringify(Object.fromEntries(v.value.values.map((kv) => [kv.key, text(kv.value)])));
    default:
      return "";
  }
}
const pairs = (attributes: KeyValue[]): [string, string][] => attributes.map((kv) => [kv.key, text(kv.value)]);

/**
 * OTLP/HTTP bodies, protobuf or JSON. OTLP's JSON differs from proto3's
 * canonical JSON in one way that matters: trace and span ids are hex, not
 * base64, so they are translated before decoding.
 */
export function decodeOtlp(body: Buffer, contentType: string): StoredSpan[] {
  let request: ExportTraceServiceRequest;
  try {
    if (contentType.includes("json")) {
      const json = JSON.parse(body.toString("utf8")) as JsonObject;
      hexIdsToBase64(json);
      request = fromJson(ExportTraceServiceRequestSchema, json, { ignoreUnknownFields: true });
    } else {
      request = fromBinary(ExportTraceServiceRequestSchema, body);
    }
  } catch (error) {
    throw new MalformedOtlp(`not an OTLP trace export: ${(error as Error).message}`);
  }
  const spans: StoredSpan[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const service = text(resourceSpans.resource?.attributes.find((kv) => kv.key === "service.name")?.value) || "unknown";
    for (const scope of resourceSpans.scopeSpans) {
      for (const s of scope.spans) {
        if (s.traceId.length !== 16 || s.spanId.length !== 8) throw new MalformedOtlp("a span without a 16-byte trace id and an 8-byte span id");
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          service,
          kind: Span_SpanKind[s.kind] ?? String(s.kind),
          start: String(s.startTimeUnixNano),
          end: String(s.endTimeUnixNano),
          statusCode: s.status?.code === Status_StatusCode.ERROR ? "STATUS_CODE_ERROR" : "",
          statusMessage: s.status?.message ?? "",
          attributes: pairs(s.attributes),
          events: s.events.map((e) => ({ name: e.name, time: String(e.timeUnixNano), attributes: pairs(e.attributes) })),
          links: s.links.map((l) => `${hex(l.traceId)}/${hex(l.spanId)}`),
        });
      }
    }
  }
  return spans;
}

function hexIdsToBase64(json: unknown): void {
  const convert = (o: Record<string, unknown>, key: string) => {
    const v = o[key];
    if (typeof v === "string" && /^[0-9a-fA-F]*$/.test(v) && v.length % 2 === 0) o[key] = Buffer.from(v, "hex").toString("base64");
  };
  const resourceSpans = (json as { resourceSpans?: unknown[] }).resourceSpans;
  for (const rs of Array.isArray(resourceSpans) ? resourceSpans : []) {
    for (const ss of ((rs as { scopeSpans?: unknown[] }).scopeSpans ?? []) as Record<string, unknown>[]) {
      for (const span of (ss.spans ?? []) as Record<string, unknown>[]) {
        for (const key of ["traceId", "spanId", "parentSpanId"]) convert(span, key);
        for (const link of (span.links ?? []) as Record<string, unknown>[]) for (const key of ["traceId", "spanId"]) convert(link, key);
      }
    }
  }
}

export const attribute = (span: StoredSpan, key: string) => span.attributes.find(([k]) => k === key)?.[1];

/**
 * The most recent spans, at most `limit`, indexed by trace and by event id
 * (messaging.message.id). Each span is held as its JSON text (about a third
 * of the memory of the parsed object; 10,000 spans with their indexes take
 * about 7.6 MB of heap) and parsed when asked for. Kept in a JSON-lines file too: each batch is
 * appended, and the file is rewritten from the ring when it has grown to
 * twice the limit, so a restarted console starts with what it had.
 */
export class SpanRing {
  private readonly slots: (string | undefined)[];
  private readonly slotTrace: (string | undefined)[];
  private readonly slotEvent: (string | undefined)[];
  private next = 0;
  private held = 0;
  private linesInFile = 0;
  // Slot numbers in plain arrays: a one-element Set costs twice the memory,
  // and most events and traces index a handful of spans.
  private readonly byTrace = new Map<string, number[]>();
  private readonly byEvent = new Map<string, number[]>();
  /** Bumped on every insert: callers cache what they computed from the ring. */
  version = 0;

  constructor(
    readonly limit: number,
    private readonly file?: string,
  ) {
    this.slots = new Array(limit);
    this.slotTrace = new Array(limit);
    this.slotEvent = new Array(limit);
    if (file && existsSync(file)) {
      const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
      const kept: StoredSpan[] = [];
      for (const line of lines.slice(-limit)) {
        try {
          kept.push(JSON.parse(line) as StoredSpan);
        } catch {
          // A line cut short by a crash: skip it.
        }
      }
      this.insert(kept);
      this.rewriteFile();
    }
  }

  get size(): number {
    return this.held;
  }

  add(spans: StoredSpan[]): void {
    if (!spans.length) return;
    const lines = this.insert(spans);
    if (!this.file) return;
    if (this.linesInFile + spans.length > 2 * this.limit) {
      this.rewriteFile();
      return;
    }
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${lines.join("\n")}\n`);
    this.linesInFile += spans.length;
  }

  trace(traceId: string): StoredSpan[] {
    return this.parse(this.byTrace.get(traceId)).sort((a, b) => (BigInt(a.start) < BigInt(b.start) ? -1 : 1));
  }

  forEvent(eventId: string): StoredSpan[] {
    return this.parse(this.byEvent.get(eventId));
  }

  traceIds(): string[] {
    return [...this.byTrace.keys()];
  }

  private parse(slots: number[] | undefined): StoredSpan[] {
    return (slots ?? []).map((slot) => JSON.parse(this.slots[slot]!) as StoredSpan);
  }

  private insert(spans: StoredSpan[]): string[] {
    const lines: string[] = [];
    for (const span of spans) {
      const slot = this.next;
      if (this.slots[slot] === undefined) this.held++;
      else {
        unindex(this.byTrace, this.slotTrace[slot]!, slot);
        if (this.slotEvent[slot]) unindex(this.byEvent, this.slotEvent[slot]!, slot);
      }
      const line = JSON.stringify(span);
      lines.push(line);
      this.slots[slot] = line;
      const eventId = attribute(span, "messaging.message.id");
      this.slotTrace[slot] = index(this.byTrace, span.traceId, slot);
      this.slotEvent[slot] = eventId ? index(this.byEvent, eventId, slot) : undefined;
      this.next = (slot + 1) % this.limit;
    }
    this.version++;
    return lines;
  }

  private rewriteFile(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const ordered = [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)].filter((s): s is string => s !== undefined);
    writeFileSync(`${this.file}.tmp`, ordered.map((s) => `${s}\n`).join(""));
    renameSync(`${this.file}.tmp`, this.file);
    this.linesInFile = ordered.length;
  }
}

function index(map: Map<string, number[]>, key: string, slot: number): string {
  const slots = map.get(key);
  if (slots) slots.push(slot);
  else map.set(key, [slot]);
  return key;
}

function unindex(map: Map<string, number[]>, key: string, slot: number) {
  const slots = map.get(key);
  if (!slots) return;
  const at = slots.indexOf(slot);
  if (at >= 0) slots.splice(at, 1);
  if (!slots.length) map.delete(key);
}
