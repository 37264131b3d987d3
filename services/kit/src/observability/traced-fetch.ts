import { context, propagation, SpanKind, type Tracer } from "@opentelemetry/api";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from "@opentelemetry/semantic-conventions";
import { inSpan, recordFailure } from "./spans.js";

/**
 * fetch() as an HTTP client span that passes trace context on
 * (`traceparent`). For fixed, secret-free URLs such as a JWKS endpoint:
 * the full URL is an attribute.
 */
export function tracedFetch(tracer: Tracer, what: string) {
  return (url: string, init: RequestInit): Promise<Response> => {
    const method = (init.method ?? "GET").toUpperCase();
    const target = new URL(url);
    return inSpan(
      tracer,
      method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_FULL]: `${target.origin}${target.pathname}`,
          [ATTR_SERVER_ADDRESS]: target.hostname,
          [ATTR_SERVER_PORT]: Number(target.port || (target.protocol === "https:" ? 443 : 80)),
          "acme.fetch.purpose": what,
        },
      },
      async (span) => {
        const headers = new Headers(init.headers);
        propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
        const response = await fetch(url, { ...init, headers });
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
        if (response.status >= 400) recordFailure(span, new Error(`HTTP ${response.status}`));
        return response;
      },
    );
  };
}
