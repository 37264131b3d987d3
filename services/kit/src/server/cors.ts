import type { IncomingMessage, ServerResponse } from "node:http";
import { cors } from "@connectrpc/connect";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The origins a browser may call this service from: `CORS_ALLOWED_ORIGINS`,
 * comma-separated (the launcher sets it to the console's origin). Unset, as
 * in the Kubernetes overlays, means no CORS headers at all: browsers then
 * refuse cross-origin calls, which is the safe default.
 */
export function corsOriginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.CORS_ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
}

/** Answers preflights and adds CORS headers for the listed origins only, with connect's lists of methods and headers. */
export function withCors(handler: Handler, origins: string[]): Handler {
  if (!origins.length) return handler;
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-expose-headers", [...cors.exposedHeaders, "traceparent"].join(", "));
      if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
        res.setHeader("access-control-allow-methods", cors.allowedMethods.join(", "));
        res.setHeader("access-control-allow-headers", [...cors.allowedHeaders, "authorization", "traceparent"].join(", "));
        res.setHeader("access-control-max-age", "7200");
        res.writeHead(204);
        res.end();
        return;
      }
    }
    handler(req, res);
  };
}
