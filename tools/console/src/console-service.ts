import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { ConsoleService, ListApisResponseSchema, SpanSchema, TraceSummarySchema, type Event, type TraceSummary } from "@acme/gen/acme/console/v1/console_pb";
import { servedRpcServices } from "./apis.js";
import type { SystemTarget } from "./config.js";
import type { EventTail } from "./event-tail.js";
import { attribute, type SpanRing, type StoredSpan } from "./span-ring.js";
import { MailFolder } from "./mails.js";
import { topology } from "./topology.js";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

const signature = (e: Event) => e.consumers.map((c) => `${c.delivery}/${c.outcome}/${c.deliveries}`).join(",");

function summary(traceId: string, spans: StoredSpan[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  const root = spans.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? spans[0]!;
  const start = spans.reduce((m, s) => (BigInt(s.start) < m ? BigInt(s.start) : m), BigInt(spans[0]!.start));
  const end = spans.reduce((m, s) => (BigInt(s.end) > m ? BigInt(s.end) : m), 0n);
  return create(TraceSummarySchema, {
    traceId,
    rootName: root.name,
    rootService: root.service,
    services: [...new Set(spans.map((s) => s.service))],
    startedAt: timestampFromMs(Number(start / 1_000_000n)),
    durationMs: Number(end - start) / 1e6,
    spanCount: spans.length,
    errorCount: spans.filter((s) => s.statusCode).length,
    eventIds: [...new Set(spans.map((s) => attribute(s, "messaging.message.id")).filter((x): x is string => Boolean(x)))],
  });
}

export function consoleRoutes(deps: { system: () => SystemTarget; tail: EventTail; ring: SpanRing; descriptorSet: () => Uint8Array }) {
  const { tail, ring } = deps;
  const mailFolder = new MailFolder();
  // Summaries are computed from the whole ring: once per change, not once per poll.
  let summaries: { version: number; list: { summary: TraceSummary; services: Set<string> }[] } | undefined;
  const allSummaries = () => {
    if (summaries?.version !== ring.version) {
      summaries = {
        version: ring.version,
        list: ring.traceIds().map((id) => {
          const spans = ring.trace(id);
          return { summary: summary(id, spans), services: new Set(spans.map((s) => s.service)) };
        }),
      };
    }
    return summaries.list;
  };
  return (router: ConnectRouter) =>
    router.service(ConsoleService, {
      async *watchEvents(request, context) {
        const sent = new Map<number, string>();
        let first = 0;
        while (!context.signal.aborted) {
          const window = first ? tail.since(first, 0) : tail.since(Number(request.fromSequence), request.last || 50);
          if (!first && window.length) first = window[0]!.sequence;
          // Re-examine only the most recent 300: older events have long settled.
          const changed = window
            .slice(-300)
            .map((e) => tail.withConsumers(e))
            .filter((e) => sent.get(Number(e.sequence)) !== signature(e));
          for (const e of changed) sent.set(Number(e.sequence), signature(e));
          if (changed.length || !sent.size) yield { events: changed };
          if (!sent.size) sent.set(0, "");
          await sleep(400, context.signal);
        }
      },
      getTopology: () => topology(deps.system(), tail, ring),
      listTraces(request) {
        const search = request.search.trim().toLowerCase();
        const traces = allSummaries()
          .filter((t) => !request.service || t.services.has(request.service))
          // The console's own reflection and health calls are noise unless asked for.
          .filter((t) => search || !/^grpc\.(reflection|health)\./.test(t.summary.rootName))
          .filter(
            (t) =>
              !search ||
              t.summary.traceId.includes(search) ||
              ring
                .trace(t.summary.traceId)
                .some((s) => s.name.toLowerCase().includes(search) || s.attributes.some(([, v]) => v.toLowerCase().includes(search))),
          )
          .map((t) => t.summary)
          .sort((a, b) => Number((b.startedAt?.seconds ?? 0n) - (a.startedAt?.seconds ?? 0n)) || (b.startedAt?.nanos ?? 0) - (a.startedAt?.nanos ?? 0));
        return { traces: traces.slice(0, request.limit || 100) };
      },
      getTrace(request) {
        return {
          spans: ring.trace(request.traceId.toLowerCase()).map((s) =>
            create(SpanSchema, {
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              name: s.name,
              service: s.service,
              kind: s.kind,
              startUnixNano: BigInt(s.start),
              endUnixNano: BigInt(s.end),
              statusCode: s.statusCode,
              statusMessage: s.statusMessage,
              attributes: s.attributes.map(([key, value]) => ({ key, value })),
              events: s.events.map((e) => ({ name: e.name, timeUnixNano: BigInt(e.time), attributes: e.attributes.map(([key, value]) => ({ key, value })) })),
              links: s.links,
            }),
          ),
        };
      },
      async listApis() {
        const descriptorSet = deps.descriptorSet();
        const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
        const names: string[] = [];
        for (const file of registry.files) for (const service of file.services) names.push(service.typeName);
        const services = await servedRpcServices(deps.system(), names);
        return create(ListApisResponseSchema, { services, fileDescriptorSet: descriptorSet });
      },
      listMails: (request) => mailFolder.list(deps.system().mailDir, request),
    });
}
