import { useQuery } from "@connectrpc/connect-query";
import { useRef } from "react";
import { ConsoleService, type ConsumerStatus, type GetTopologyResponse, type ServiceStatus } from "@acme/gen/acme/console/v1/console_pb";

interface Sample {
  at: number;
  lastSequence: number;
  acked: Record<string, number>;
  pending: Record<string, number>;
}

function Sparkline({ values, label }: { values: number[]; label: string }) {
  const max = Math.max(1, ...values);
  const points = values.map((v, i) => `${(i / Math.max(1, values.length - 1)) * 100},${20 - (v / max) * 18}`).join(" ");
  return (
    <svg width="100" height="22" viewBox="0 0 100 22" role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="#2563eb" strokeWidth="1.5" />
    </svg>
  );
}

function ServiceBox({ service, children }: { service: ServiceStatus | undefined; children?: React.ReactNode }) {
  const healthy = service?.alive && service.ready;
  const mb = service && service.residentBytes > 0n ? `${Number(service.residentBytes / 1024n / 1024n)} MB` : "?";
  return (
    <section className={`box ${healthy ? "healthy" : "unhealthy"}`} aria-label={`service ${service?.name ?? "?"}`}>
      <strong>{service?.name ?? "?"}</strong>{" "}
      <span className={`badge ${healthy ? "ok" : "down"}`}>{healthy ? "ready" : service?.alive ? "not ready" : "down"}</span>
      <dl className="facts">
        <dt>resident</dt>
        <dd>{mb}</dd>
      </dl>
      {children}
    </section>
  );
}

function rate(history: Sample[], pick: (s: Sample) => number): number {
  if (history.length < 2) return 0;
  const first = history[Math.max(0, history.length - 6)]!;
  const last = history.at(-1)!;
  return last.at > first.at ? (pick(last) - pick(first)) / ((last.at - first.at) / 1000) : 0;
}

/** The architecture as the pipeline it is, polled every second. */
export function OverviewPage() {
  const topology = useQuery(ConsoleService.method.getTopology, {}, { refetchInterval: 1_000 });
  const history = useRef<Sample[]>([]);
  const t: GetTopologyResponse | undefined = topology.data;
  if (t && history.current.at(-1)?.at !== Number(t.at?.seconds ?? 0) * 1000 + (t.at?.nanos ?? 0) / 1e6) {
    history.current.push({
      at: Number(t.at?.seconds ?? 0) * 1000 + (t.at?.nanos ?? 0) / 1e6,
      lastSequence: Number(t.streams[0]?.lastSequence ?? 0),
      acked: Object.fromEntries(t.consumers.map((c) => [c.name, Number(c.ackFloorSequence)])),
      pending: Object.fromEntries(t.consumers.map((c) => [c.name, Number(c.pending + c.ackPending)])),
    });
    history.current = history.current.slice(-60);
  }
  const h = history.current;
  const service = (name: string) => t?.services.find((s) => s.name === name);
  const stream = t?.streams[0];
  return (
    <>
      <h1>Overview</h1>
      {topology.error && (
        <p className="problems" role="alert">
          The console server does not answer: {topology.error.message}
        </p>
      )}
      {t && t.problems.length > 0 && (
        <div className="problems" role="status">
          <strong>Cannot reach (retrying):</strong>
          <ul>
            {t.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <section className="pipeline" aria-label="event pipeline">
        <ServiceBox service={service("auth")}>
          <h2>outbox</h2>
          {t?.outbox?.known ? (
            <dl className="facts" aria-label="auth outbox">
              <dt>unsent rows</dt>
              <dd>{String(t.outbox.unsent)}</dd>
              <dt>oldest unsent</dt>
              <dd>{t.outbox.oldestUnsentSeconds.toFixed(1)} s</dd>
            </dl>
          ) : (
            <p className="muted" title={t?.outbox?.problem}>
              admin port not answering
            </p>
          )}
        </ServiceBox>
        <div className="arrow">
          <span className="sr-only">published </span>
          {rate(h, (s) => s.lastSequence).toFixed(1)} ev/s
        </div>
        <section className="box healthy" aria-label="stream AUTH_EVENTS">
          <strong>AUTH_EVENTS</strong>
          <dl className="facts">
            <dt>messages</dt>
            <dd>{String(stream?.messages ?? "?")}</dd>
            <dt>last seq</dt>
            <dd>{String(stream?.lastSequence ?? "?")}</dd>
          </dl>
        </section>
        <div className="consumers">
          {(t?.consumers ?? []).map((c: ConsumerStatus) => (
            <div className="consumer-row" key={c.name}>
              <div className="arrow">
                <span className="sr-only">{c.name} acked </span>
                {rate(h, (s) => s.acked[c.name] ?? 0).toFixed(1)} ev/s
              </div>
              <section className="box" aria-label={`consumer ${c.name}`} data-consumer={c.name}>
                <strong>consumer {c.name}</strong>
                <dl className="facts">
                  <dt>lag (messages)</dt>
                  <dd data-testid={`lag-${c.name}`}>{String(c.pending + c.ackPending)}</dd>
                  <dt>lag (seconds behind)</dt>
                  <dd>{c.secondsBehind.toFixed(1)} s</dd>
                  <dt>ack pending</dt>
                  <dd>{String(c.ackPending)}</dd>
                  <dt>redelivered</dt>
                  <dd>{String(c.redelivered)}</dd>
                  <dt>dead letters</dt>
                  <dd>
                    <a href="#/dead-letters">{String(c.deadLetters)}</a>
                  </dd>
                </dl>
                <Sparkline values={h.map((s) => s.pending[c.name] ?? 0)} label={`${c.name} lag trend`} />
              </section>
              <div className="arrow">inbox</div>
              <ServiceBox service={service(c.name)} />
            </div>
          ))}
          {t && !t.consumers.length && <p className="muted">No durable consumers on AUTH_EVENTS yet.</p>}
        </div>
      </section>
      <p className="muted">
        Spans held: {String(t?.spansHeld ?? 0)} of {String(t?.spanLimit ?? 0)} ·{" "}
        {t?.services.map((s) => (
          <span key={s.name} title={s.readinessJson}>
            {s.name}: {s.url}{" "}
          </span>
        ))}
      </p>
    </>
  );
}
