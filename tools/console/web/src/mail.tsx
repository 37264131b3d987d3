import { useQuery } from "@connectrpc/connect-query";
import { useState } from "react";
import { ConsoleService, type Mail } from "@acme/gen/acme/console/v1/console_pb";
import { formatTime } from "./api.js";

const dateMs = (m: Mail) => (m.date ? Number(m.date.seconds) * 1000 + Math.floor(m.date.nanos / 1e6) : 0);

/**
 * The HTML part is what a sender wrote, so it is shown only where it can do
 * nothing: a frame with an empty sandbox (no scripts, no forms, a unique
 * origin, no way to navigate this page) and a policy that loads nothing from
 * anywhere (no remote images: no tracking), inline styles only. It never
 * enters the console's own DOM.
 */
const FRAME_POLICY = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;

function MailDetail({ mail }: { mail: Mail }) {
  return (
    <section className="panel" aria-label="mail detail">
      <h2>{mail.subject || "(no subject)"}</h2>
      <table>
        <tbody>
          <tr>
            <th scope="row">to</th>
            <td>{mail.to.join(", ")}</td>
          </tr>
          <tr>
            <th scope="row">from</th>
            <td>{mail.from}</td>
          </tr>
          <tr>
            <th scope="row">date</th>
            <td className="mono">{mail.date ? new Date(dateMs(mail)).toISOString() : ""}</td>
          </tr>
          <tr>
            <th scope="row">Message-ID</th>
            <td className="mono">{mail.messageId}</td>
          </tr>
          <tr>
            <th scope="row">file</th>
            <td className="mono">{mail.file}</td>
          </tr>
        </tbody>
      </table>
      <p>
        {mail.traceId ? (
          <a href={`#/traces/${mail.traceId}`}>Open the trace {mail.traceId}</a>
        ) : (
          <span className="muted">The mail carries no traceparent.</span>
        )}
        {mail.eventId && (
          <>
            {" · "}
            <a href={`#/events/${mail.eventId}`}>Open the event {mail.eventId}</a>
          </>
        )}
      </p>
      <h2>Text</h2>
      <figure aria-label="text body">
        <pre>{mail.textBody}</pre>
      </figure>
      {mail.htmlBody && (
        <>
          <h2>HTML (sandboxed: no scripts, nothing loaded)</h2>
          <iframe className="mail-html" title="HTML body" sandbox="" referrerPolicy="no-referrer" srcDoc={FRAME_POLICY + mail.htmlBody} />
        </>
      )}
    </section>
  );
}

export function MailPage({ selected }: { selected: string }) {
  const [search, setSearch] = useState("");
  const list = useQuery(ConsoleService.method.listMails, { search, limit: 100 }, { refetchInterval: 2_000 });
  const mails = list.data?.mails ?? [];
  const chosen = mails.find((m) => m.file === selected);
  const open = (m: Mail) => (window.location.hash = `#/mail/${encodeURIComponent(m.file)}`);
  return (
    <>
      <h1>Mail</h1>
      <p className="muted">
        What the development mail sink received{list.data ? `: ${list.data.total} in ${list.data.dir}` : ""}. Each mail of notifications carries its event's
        trace.
      </p>
      {(list.error || list.data?.problem) && <p className="problems">{list.error?.message ?? list.data?.problem}</p>}
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search mail"
          placeholder="address, subject, Message-ID or trace id"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <div className="split">
        <div className="scroll">
          <table aria-label="mails, newest first">
            <thead>
              <tr>
                <th>time</th>
                <th>to</th>
                <th>subject</th>
                <th>template</th>
              </tr>
            </thead>
            <tbody>
              {mails.map((m) => (
                <tr
                  key={m.file}
                  className={`clickable ${m.file === selected ? "selected" : ""}`}
                  tabIndex={0}
                  data-message-id={m.messageId}
                  onClick={() => open(m)}
                  onKeyDown={(k) => k.key === "Enter" && open(m)}
                >
                  <td className="mono">{m.date ? formatTime(dateMs(m)) : ""}</td>
                  <td>{m.to.join(", ")}</td>
                  <td>{m.subject}</td>
                  <td>{m.template}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {chosen ? (
          <MailDetail mail={chosen} />
        ) : (
          <section className="panel">
            <p className="muted">Select a mail to read it.</p>
          </section>
        )}
      </div>
    </>
  );
}
