import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConnectError } from "@connectrpc/connect";
import { ReplayOutcome_Result } from "@acme/gen/acme/admin/v1/consumer_admin_pb";
import { CONSUMERS, deadLetterClient, formatTime } from "./api.js";

function ConsumerLetters({ consumer }: { consumer: string }) {
  const client = deadLetterClient(consumer);
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ["dead-letters", consumer], queryFn: () => client.listDeadLetters({ pageSize: 100 }), refetchInterval: 2_000 });
  const [selected, setSelected] = useState<Set<bigint>>(new Set());
  const [open, setOpen] = useState<bigint | undefined>();
  const [message, setMessage] = useState("");
  const detail = useQuery({
    queryKey: ["dead-letter", consumer, String(open)],
    queryFn: () => client.getDeadLetter({ sequence: open! }),
    enabled: open !== undefined,
  });
  const letters = list.data?.deadLetters ?? [];
  const toggle = (seq: bigint) => setSelected((s) => (s.has(seq) ? new Set([...s].filter((x) => x !== seq)) : new Set([...s, seq])));
  const act = async (what: "Replay" | "Purge") => {
    const sequences = [...selected];
    if (!sequences.length || !window.confirm(`${what} ${sequences.length} dead letter(s) of ${consumer}?`)) return;
    try {
      if (what === "Replay") {
        const answer = await client.replayDeadLetter({ sequences });
        setMessage(
          answer.outcomes
            .map((o) => `#${o.sequence}: ${ReplayOutcome_Result[o.result]?.replace("RESULT_", "").toLowerCase()}${o.detail ? ` (${o.detail})` : ""}`)
            .join("; "),
        );
      } else {
        const answer = await client.purgeDeadLetters({ sequences });
        setMessage(`purged ${answer.purged}`);
      }
    } catch (e) {
      setMessage(`${what} failed: ${ConnectError.from(e).message}`);
    }
    setSelected(new Set());
    await queryClient.invalidateQueries({ queryKey: ["dead-letters", consumer] });
  };
  return (
    <section className="panel" aria-label={`dead letters of ${consumer}`}>
      <h2>
        {consumer} <span className="muted">({String(list.data?.total ?? letters.length)})</span>
      </h2>
      {list.error && <p className="problems">{ConnectError.from(list.error).message}</p>}
      <div className="toolbar">
        <button type="button" onClick={() => void act("Replay")} disabled={!selected.size} className="primary">
          Replay selected
        </button>
        <button type="button" onClick={() => void act("Purge")} disabled={!selected.size} className="danger">
          Purge selected
        </button>
        <span role="status" className="muted">
          {message}
        </span>
      </div>
      <table aria-label={`${consumer}'s dead letters`}>
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label={`select all dead letters of ${consumer}`}
                checked={letters.length > 0 && selected.size === letters.length}
                onChange={(e) => setSelected(e.target.checked ? new Set(letters.map((l) => l.sequence)) : new Set())}
              />
            </th>
            <th>failed</th>
            <th>type</th>
            <th>reason</th>
            <th>error</th>
            <th>event</th>
          </tr>
        </thead>
        <tbody>
          {letters.map((l) => (
            <tr key={String(l.sequence)} data-event-id={l.eventId} className={open === l.sequence ? "selected" : ""}>
              <td>
                <input type="checkbox" aria-label={`select dead letter ${l.sequence}`} checked={selected.has(l.sequence)} onChange={() => toggle(l.sequence)} />
              </td>
              <td className="mono">{l.failedAt ? formatTime(Number(l.failedAt.seconds) * 1000) : ""}</td>
              <td>{l.eventType}</td>
              <td>{l.reason}</td>
              <td className="mono">{l.error}</td>
              <td>
                <button type="button" onClick={() => setOpen(l.sequence)}>
                  details
                </button>{" "}
                <a href={`#/events/${l.eventId}`}>event</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!letters.length && !list.error && <p className="muted">No dead letters.</p>}
      {detail.data && (
        <section aria-label="dead letter detail">
          <h2>Dead letter #{String(open)}</h2>
          {detail.data.decodeError && <p className="problems">{detail.data.decodeError}</p>}
          <pre>{detail.data.payloadJson || [...detail.data.body].map((b) => b.toString(16).padStart(2, "0")).join(" ")}</pre>
          <table>
            <tbody>
              {detail.data.deadLetter?.headers.map((h) => (
                <tr key={h.name}>
                  <th className="mono">{h.name}</th>
                  <td className="mono">{h.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {detail.data.deadLetter?.headers.find((h) => h.name === "traceparent") && (
            <a href={`#/traces/${detail.data.deadLetter.headers.find((h) => h.name === "traceparent")!.value.split("-")[1]}`}>the failing trace</a>
          )}
        </section>
      )}
    </section>
  );
}

export function DeadLettersPage() {
  return (
    <>
      <h1>Dead letters</h1>
      <p className="muted">Replay sends a letter back to its own consumer only; Purge deletes it. Both go through the service's admin RPCs.</p>
      {CONSUMERS.map((c) => (
        <ConsumerLetters key={c} consumer={c} />
      ))}
    </>
  );
}
