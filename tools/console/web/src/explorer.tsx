import { useQuery } from "@connectrpc/connect-query";
import {
  create,
  createFileRegistry,
  fromBinary,
  fromJson,
  toJsonString,
  type DescMessage,
  type DescMethod,
  type DescService,
  type JsonValue,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { useEffect, useMemo, useState } from "react";
import { ConsoleService, type ApiService, type Span } from "@acme/gen/acme/console/v1/console_pb";
import { consoleClient, randomHex } from "./api.js";
import { Waterfall } from "./traces.js";

/** A .proto comment from the file's source info: `path` as in descriptor.proto's SourceCodeInfo. */
function comment(desc: { file: { proto: { sourceCodeInfo?: { location: { path: number[]; leadingComments?: string }[] } } } }, path: number[]): string {
  const location = desc.file.proto.sourceCodeInfo?.location.find((l) => l.path.length === path.length && l.path.every((p, i) => p === path[i]));
  return location?.leadingComments?.trim() ?? "";
}
const serviceComment = (s: DescService) => comment(s, [6, s.file.services.indexOf(s)]);
const methodComment = (m: DescMethod) => comment(m.parent, [6, m.parent.file.services.indexOf(m.parent), 2, m.parent.methods.indexOf(m)]);
function fieldHelp(message: DescMessage): { name: string; help: string }[] {
  const index = message.file.messages.indexOf(message);
  return message.fields.map((f, i) => ({ name: f.jsonName, help: index >= 0 ? comment(message, [4, index, 2, i]) : "" }));
}

interface Call {
  method: DescMethod;
  service: ApiService;
  traceId: string;
  status: string;
  body: string;
  curl: string;
}

function curlOf(service: ApiService, method: DescMethod, body: string, token: string): string {
  const compact = JSON.stringify(JSON.parse(body));
  return [
    `curl -s -X POST ${service.url}/${method.parent.typeName}/${method.name}`,
    `-H 'Content-Type: application/json'`,
    token ? `-H 'Authorization: Bearer ${token}'` : "",
    `-d '${compact.replaceAll("'", "'\\''")}'`,
  ]
    .filter(Boolean)
    .join(" \\\n  ");
}

/** The chain of effects of one call: its trace, the events it emitted, and what each consumer did with them. */
function ChainOfEffects({ traceId }: { traceId: string }) {
  const [spans, setSpans] = useState<Span[]>([]);
  useEffect(() => {
    let stopped = false;
    const started = Date.now();
    const poll = async () => {
      while (!stopped && Date.now() - started < 60_000) {
        const answer = await consoleClient.getTrace({ traceId }).catch(() => undefined);
        if (answer && !stopped) setSpans(answer.spans);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [traceId]);
  const attr = (s: Span, k: string) => s.attributes.find((a) => a.key === k)?.value ?? "";
  const eventIds = [...new Set(spans.map((s) => attr(s, "messaging.message.id")).filter(Boolean))];
  return (
    <section className="panel" aria-label="chain of effects">
      <h2>Chain of effects</h2>
      <p className="mono">
        trace <a href={`#/traces/${traceId}`}>{traceId}</a> · {spans.length} spans from {[...new Set(spans.map((s) => s.service))].join(", ") || "none yet"}
      </p>
      {eventIds.map((id) => (
        <div key={id} data-event-id={id}>
          <a href={`#/events/${id}`}>event {id}</a>{" "}
          {spans
            .filter((s) => attr(s, "messaging.message.id") === id && attr(s, "acme.event.outcome"))
            .map((s) => (
              <span key={s.spanId} className={`badge ${attr(s, "acme.event.outcome")}`} data-consumer={attr(s, "messaging.consumer.group.name")}>
                {attr(s, "messaging.consumer.group.name") || s.service}: {attr(s, "acme.event.outcome")}
              </span>
            ))}
        </div>
      ))}
      <Waterfall spans={spans} />
    </section>
  );
}

export function ExplorerPage() {
  const apis = useQuery(ConsoleService.method.listApis, {});
  const registry = useMemo(() => (apis.data ? createFileRegistry(fromBinary(FileDescriptorSetSchema, apis.data.fileDescriptorSet)) : undefined), [apis.data]);
  const [chosen, setChosen] = useState<{ service: ApiService; method: DescMethod } | undefined>();
  const [body, setBody] = useState("{}");
  const [token, setToken] = useState(() => sessionStorage.getItem("console.token") ?? "");
  const [sendToken, setSendToken] = useState(true);
  const [call, setCall] = useState<Call | undefined>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState("");

  useEffect(() => sessionStorage.setItem("console.token", token), [token]);
  const pick = (service: ApiService, method: DescMethod) => {
    setChosen({ service, method });
    setBody(toJsonString(method.input, create(method.input), { alwaysEmitImplicit: true, prettySpaces: 2 }));
    setCall(undefined);
    setCopied("");
  };

  const send = async () => {
    if (!chosen) return;
    const { service, method } = chosen;
    const traceId = randomHex(16);
    const headers = new Headers({ traceparent: `00-${traceId}-${randomHex(8)}-01` });
    if (sendToken && token) headers.set("authorization", `Bearer ${token}`);
    setBusy(true);
    let status: string;
    let text: string;
    try {
      const input = fromJson(method.input, JSON.parse(body) as JsonValue);
      const transport = createConnectTransport({ baseUrl: service.url });
      const response = await transport.unary(method as never, undefined, 15_000, headers, input as never);
      text = toJsonString(method.output, response.message as never, { prettySpaces: 2 });
      status = "ok";
      const accessToken = (JSON.parse(text) as { accessToken?: string }).accessToken;
      if (accessToken) setToken(accessToken);
    } catch (e) {
      const error = ConnectError.from(e);
      status = Code[error.code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
      text = error.rawMessage;
    }
    setBusy(false);
    setCall({ method, service, traceId, status, body: text, curl: curlOf(service, method, body, sendToken ? token : "") });
  };

  return (
    <>
      <h1>API explorer</h1>
      {apis.error && <p className="problems">{apis.error.message}</p>}
      <div className="explorer">
        <nav className="panel methods" aria-label="RPCs">
          {registry &&
            apis.data?.services.map((s) => (
              <section key={s.service}>
                <h2>
                  {s.service} <span className="muted mono">{s.url}</span>
                </h2>
                {s.rpcServices.map((name) => {
                  const desc = registry.getService(name);
                  return desc?.methods
                    .filter((m) => m.methodKind === "unary")
                    .map((m) => (
                      <button type="button" key={`${name}/${m.name}`} aria-pressed={chosen?.method === m} onClick={() => pick(s, m)} title={methodComment(m)}>
                        {desc.name}.{m.name}
                      </button>
                    ));
                })}
              </section>
            ))}
        </nav>
        <section>
          <section className="panel" aria-label="log-in helper">
            <label>
              Bearer token{" "}
              <input
                type="text"
                value={token}
                onChange={(e) => setToken(e.target.value)}
                aria-label="Bearer token"
                size={40}
                placeholder="kept from a Login response"
              />
            </label>{" "}
            <label>
              <input type="checkbox" checked={sendToken} onChange={(e) => setSendToken(e.target.checked)} /> send it
            </label>{" "}
            <span className="muted">A Login or Refresh response's accessToken is kept here automatically.</span>
          </section>
          {chosen ? (
            <section className="panel" aria-label="request">
              <h2>
                {chosen.method.parent.typeName}/{chosen.method.name} <span className="muted">on {chosen.service.service}</span>
              </h2>
              {serviceComment(chosen.method.parent) && <p className="help">{serviceComment(chosen.method.parent)}</p>}
              {methodComment(chosen.method) && <p className="help">{methodComment(chosen.method)}</p>}
              <ul className="help">
                {fieldHelp(chosen.method.input).map((f) => (
                  <li key={f.name}>
                    <code>{f.name}</code> {f.help}
                  </li>
                ))}
              </ul>
              <label htmlFor="request-body">Request ({chosen.method.input.typeName}, JSON)</label>
              <textarea
                id="request-body"
                value={body}
                onChange={(e) => {
                  setBody(e.target.value);
                  setCopied("");
                }}
                spellCheck={false}
              />
              <div className="toolbar">
                <button type="button" className="primary" onClick={() => void send()} disabled={busy}>
                  Send
                </button>
                <button
                  type="button"
                  onClick={() => {
                    const text = curlOf(chosen.service, chosen.method, body, sendToken ? token : "");
                    void navigator.clipboard?.writeText(text).catch(() => {});
                    setCopied(text);
                  }}
                >
                  Copy as curl
                </button>
              </div>
              {copied && (
                <figure aria-label="curl command">
                  <pre>{copied}</pre>
                </figure>
              )}
            </section>
          ) : (
            <p className="muted">Pick an RPC on the left.</p>
          )}
          {call && (
            <>
              <section className="panel" aria-label="response">
                <h2>
                  Response{" "}
                  <span className={`badge ${call.status === "ok" ? "ok" : "error"}`} data-testid="connect-code">
                    {call.status}
                  </span>
                </h2>
                <figure aria-label="response body">
                  <pre>{call.body}</pre>
                </figure>
              </section>
              <ChainOfEffects traceId={call.traceId} />
            </>
          )}
        </section>
      </div>
    </>
  );
}
