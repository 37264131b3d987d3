import { useQuery } from "@connectrpc/connect-query";
import { useState } from "react";
import { ConsoleService, type Span } from "@acme/gen/acme/console/v1/console_pb";
import { colorOf, formatTime } from "./api.js";

const attr = (s: Span, key: string) => s.attributes.find((a) => a.key === key)?.value;
/** Who did the work: the outbox relay runs inside auth but is its own stage of the pipeline. */
const stage = (s: Span) => (attr(s, "messaging.operation.type") === "send" ? "relay" : s.service);

/** Spans in tree order (parents before children), each with its depth. */
function ordered(spans: Span[]): { span: Span; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : "";
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: { span: Span; depth: number }[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => Number(a.startUnixNano - b.startUnixNano))) {
      out.push({ span: s, depth });
      walk(s.spanId, depth + 1);
    }
  };
  walk("", 0);
  return out;
}

export function Waterfall({ spans }: { spans: Span[] }) {
  const [picked, setPicked] = useState<string>("");
  if (!spans.length) return <p className="muted">No spans for this trace (yet).</p>;
  // The trace's bounds in bigint nanoseconds (Math.min and Math.max take numbers only).
  let t0 = spans[0]!.startUnixNano;
  let t1 = 0n;
  for (const s of spans) {
    if (s.startUnixNano < t0) t0 = s.startUnixNano;
    if (s.endUnixNano > t1) t1 = s.endUnixNano;
  }
  const total = Number(t1 - t0) || 1;
  const services = [...new Set(spans.map(stage))];
  const chosen = spans.find((s) => s.spanId === picked);
  return (
    <>
      <div className="legend">
        <ul className="services" aria-label="services in this trace">
          {services.map((s) => (
            <li key={s} data-service={s}>
              <i className="swatch" style={{ background: colorOf(s) }} />
              {s}
            </li>
          ))}
        </ul>
        <span className="muted">{(total / 1e6).toFixed(1)} ms</span>
      </div>
      <ul className="waterfall" aria-label="spans">
        {ordered(spans).map(({ span, depth }) => (
          <li key={span.spanId}>
            <button
              type="button"
              className="row"
              aria-pressed={picked === span.spanId}
              onClick={() => setPicked(span.spanId)}
              data-service={stage(span)}
              data-span-name={span.name}
            >
              <span style={{ paddingLeft: depth * 12 }} className="mono">
                <b style={{ color: colorOf(stage(span)) }}>{stage(span)}</b> {span.name} {span.statusCode ? <span className="badge error">error</span> : null}
              </span>
              <span className="track">
                <span
                  className="bar"
                  style={{
                    left: `${(Number(span.startUnixNano - t0) / total) * 100}%`,
                    width: `${(Number(span.endUnixNano - span.startUnixNano) / total) * 100}%`,
                    background: colorOf(stage(span)),
                  }}
                />
              </span>
              <span className="mono">{(Number(span.endUnixNano - span.startUnixNano) / 1e6).toFixed(2)} ms</span>
            </button>
          </li>
        ))}
      </ul>
      {chosen && (
        <section className="panel" aria-label="span detail">
          <h2>
            {chosen.service} · {chosen.name} <span className="muted">{chosen.kind}</span>
          </h2>
          {chosen.statusCode && <p className="problems">{chosen.statusMessage || chosen.statusCode}</p>}
          {attr(chosen, "messaging.message.id") && (
            <p>
              <a href={`#/events/${attr(chosen, "messaging.message.id")}`}>Open the event {attr(chosen, "messaging.message.id")}</a>
            </p>
          )}
          {chosen.links.map((l) => (
            <p key={l}>
              linked: <a href={`#/traces/${l.split("/")[0]}`}>{l}</a>
            </p>
          ))}
          <table>
            <tbody>
              {chosen.attributes.map((a) => (
                <tr key={a.key}>
                  <th scope="row" className="mono">
                    {a.key}
                  </th>
                  <td className="mono">{a.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {chosen.events.length > 0 && <h2>Span events</h2>}
          {chosen.events.map((e) => (
            <p key={`${e.timeUnixNano}/${e.name}`} className="mono">
              {formatTime(Number(e.timeUnixNano / 1_000_000n))} {e.name} {e.attributes.map((a) => `${a.key}=${a.value}`).join(" ")}
            </p>
          ))}
        </section>
      )}
    </>
  );
}

const openTrace = (traceId: string) => {
  window.location.hash = `#/traces/${traceId}`;
};

export function TracesPage({ selected }: { selected: string }) {
  const [search, setSearch] = useState("");
  const list = useQuery(ConsoleService.method.listTraces, { search, limit: 100 }, { refetchInterval: 2_000 });
  const trace = useQuery(ConsoleService.method.getTrace, { traceId: selected }, { enabled: Boolean(selected), refetchInterval: 2_000 });
  return (
    <>
      <h1>Traces</h1>
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search traces"
          placeholder="trace id, span name or attribute value"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <div className="split">
        <div className="scroll">
          <table aria-label="traces, newest first">
            <thead>
              <tr>
                <th>started</th>
                <th>root</th>
                <th>services</th>
                <th>duration</th>
                <th>spans</th>
                <th>errors</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.traces ?? []).map((t) => (
                <tr
                  key={t.traceId}
                  className={`clickable ${t.traceId === selected ? "selected" : ""}`}
                  tabIndex={0}
                  data-trace-id={t.traceId}
                  onClick={() => openTrace(t.traceId)}
                  onKeyDown={(k) => {
                    if (k.key === "Enter") openTrace(t.traceId);
                  }}
                >
                  <td className="mono">{t.startedAt ? formatTime(Number(t.startedAt.seconds) * 1000 + Math.floor(t.startedAt.nanos / 1e6)) : ""}</td>
                  <td>
                    <b style={{ color: colorOf(t.rootService) }}>{t.rootService}</b> {t.rootName}
                  </td>
                  <td>{t.services.join(", ")}</td>
                  <td>{t.durationMs.toFixed(1)} ms</td>
                  <td>{t.spanCount}</td>
                  <td>{t.errorCount ? <span className="badge error">{t.errorCount}</span> : 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <section className="panel" aria-label="trace">
          {selected ? (
            <>
              <h2 className="mono">trace {selected}</h2>
              <Waterfall spans={trace.data?.spans ?? []} />
            </>
          ) : (
            <p className="muted">Select a trace to see its waterfall.</p>
          )}
        </section>
      </div>
    </>
  );
}
