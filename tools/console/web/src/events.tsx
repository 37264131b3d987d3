import { useEffect, useMemo, useState } from "react";
import { ConsumerEventState_Delivery, type ConsumerEventState, type Event } from "@acme/gen/acme/console/v1/console_pb";
import { consoleClient, formatTime } from "./api.js";

/** The live tail, merged by sequence: an event is sent again when a consumer's state for it changes. */
export function useEventTail(): { events: Event[]; error: string } {
  const [byId, setById] = useState(() => new Map<bigint, Event>());
  const [error, setError] = useState("");
  useEffect(() => {
    const abort = new AbortController();
    // Every error is caught inside the loop (it reconnects), so nothing awaits this promise.
    void (async () => {
      for (;;) {
        try {
          for await (const response of consoleClient.watchEvents({ last: 200 }, { signal: abort.signal })) {
            setError("");
            if (!response.events.length) continue;
            setById((old) => {
              const next = new Map(old);
              for (const e of response.events) next.set(e.sequence, e);
              return next;
            });
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          setError((e as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (abort.signal.aborted) return;
      }
    })();
    return () => abort.abort();
  }, []);
  const events = useMemo(() => [...byId.values()].sort((a, b) => Number(b.sequence - a.sequence)), [byId]);
  return { events, error };
}

/** What a consumer did with the event, in one word. */
export function consumerWord(c: ConsumerEventState): string {
  if (c.outcome === "dead-lettered") return "dead-lettered";
  if (c.outcome === "duplicate") return "duplicate";
  if (c.outcome === "applied") return c.delivery === ConsumerEventState_Delivery.ACKED ? "applied" : "applied";
  if (c.delivery === ConsumerEventState_Delivery.ACKED) return "acked";
  if (c.delivery === ConsumerEventState_Delivery.DELIVERED) return c.outcome === "retry" ? "retry" : "delivered";
  return "pending";
}

export function ConsumerBadges({ event }: { event: Event }) {
  return (
    <>
      {event.consumers.map((c) => (
        <span key={c.consumer} className={`badge ${consumerWord(c)}`} data-consumer={c.consumer} data-state={consumerWord(c)}>
          {c.consumer}: {consumerWord(c)}
        </span>
      ))}
    </>
  );
}

const userIdOf = (e: Event) => e.headers.find((h) => h.name === "ce-subject")?.value ?? "";

function matches(e: Event, q: string): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return [e.type, e.id, e.subject, e.traceId, e.payloadJson, ...e.headers.map((h) => h.value)].some((v) => v.toLowerCase().includes(needle));
}

function EventDetail({ event }: { event: Event }) {
  const hexBody = [...event.body].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return (
    <section className="panel" aria-label="event detail">
      <h2>
        #{String(event.sequence)} {event.type || "(no type)"}
      </h2>
      {event.note && (
        <p className="problems" role="note">
          {event.note}
        </p>
      )}
      <h2>What each consumer did</h2>
      <table>
        <thead>
          <tr>
            <th>consumer</th>
            <th>state</th>
            <th>processed</th>
            <th>trace</th>
          </tr>
        </thead>
        <tbody>
          {event.consumers.map((c) => (
            <tr key={c.consumer} data-consumer={c.consumer}>
              <td>{c.consumer}</td>
              <td>
                <span className={`badge ${consumerWord(c)}`}>{consumerWord(c)}</span>
                {c.delivery === ConsumerEventState_Delivery.ACKED && c.outcome ? <span className="badge acked">acked</span> : null}
              </td>
              <td>{c.deliveries > 1 ? `${c.deliveries} times (redelivered ${c.deliveries - 1})` : c.deliveries === 1 ? "once" : "not yet"}</td>
              <td>{c.traceId ? <a href={`#/traces/${c.traceId}`}>its span</a> : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        {event.traceId ? (
          <a href={`#/traces/${event.traceId}`}>Open the event's trace ({event.traceId.slice(0, 8)}…)</a>
        ) : (
          <span className="muted">no traceparent header</span>
        )}
      </p>
      <h2>Payload</h2>
      {event.payloadJson ? (
        <figure aria-label="decoded payload">
          <pre>{event.payloadJson}</pre>
        </figure>
      ) : (
        <figure aria-label="raw payload">
          <pre>{hexBody}</pre>
        </figure>
      )}
      <h2>CloudEvents headers</h2>
      <table>
        <tbody>
          {event.headers.map((h) => (
            <tr key={h.name + h.value}>
              <th scope="row" className="mono">
                {h.name}
              </th>
              <td className="mono">{h.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const openEvent = (e: Event) => {
  window.location.hash = `#/events/${e.id || e.sequence}`;
};

export function EventsPage({ selected }: { selected: string }) {
  const { events, error } = useEventTail();
  const [query, setQuery] = useState("");
  const shown = events.filter((e) => matches(e, query));
  const current = events.find((e) => e.id === selected || String(e.sequence) === selected);
  return (
    <>
      <h1>Events</h1>
      <div className="toolbar">
        <label>
          <span className="sr-only">Search events</span>
          <input
            type="search"
            placeholder="type, user id, event id, trace id or any header"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            aria-label="Search events"
          />
        </label>
        <span className="muted" role="status">
          {shown.length} of {events.length} events {error && `· reconnecting: ${error}`}
        </span>
      </div>
      <div className="split">
        <table aria-label="events, newest first">
          <thead>
            <tr>
              <th>seq</th>
              <th>published</th>
              <th>type</th>
              <th>user</th>
              <th>consumers</th>
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, 200).map((e) => (
              <tr
                key={String(e.sequence)}
                className={`clickable ${current?.sequence === e.sequence ? "selected" : ""}`}
                tabIndex={0}
                data-event-id={e.id}
                onClick={() => openEvent(e)}
                onKeyDown={(k) => {
                  if (k.key === "Enter") openEvent(e);
                }}
              >
                <td>{String(e.sequence)}</td>
                <td className="mono">{e.publishedAt ? formatTime(Number(e.publishedAt.seconds) * 1000 + Math.floor(e.publishedAt.nanos / 1e6)) : ""}</td>
                <td>{e.type.split(".").at(-1) || <em>unknown</em>}</td>
                <td className="mono">{userIdOf(e).slice(0, 8)}</td>
                <td>
                  <ConsumerBadges event={e} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {current ? <EventDetail event={current} /> : <p className="muted">Select an event to see its headers, payload and what each consumer did with it.</p>}
      </div>
    </>
  );
}
