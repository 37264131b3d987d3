import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize } from "node:path";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { loadDescriptorSet } from "./apis.js";
import { resolveSystem, SERVICE_NAMES, type ConsoleSettings, type ServiceName } from "./config.js";
import { consoleRoutes } from "./console-service.js";
import { EventTail } from "./event-tail.js";
import { decodeOtlp, MalformedOtlp, SpanRing } from "./span-ring.js";

const MAX_OTLP_BYTES = 8 * 1024 * 1024;
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

export interface RunningConsole {
  url: string;
  port: number;
  ring: SpanRing;
  tail: EventTail;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new MalformedOtlp(`body larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * The console's one port on 127.0.0.1: the web app, ConsoleService (Connect),
 * the OTLP/HTTP trace receiver the services export to, and a pass-through to
 * each service's admin port that adds the admin token (the browser never
 * holds it).
 */
export async function startConsole(settings: ConsoleSettings, log: (line: string) => void = () => {}): Promise<RunningConsole> {
  const system = () => resolveSystem(settings.dir);
  const ring = new SpanRing(settings.spanLimit, join(settings.dir, "console", "spans.jsonl"));
  const tail = new EventTail(system, ring);
  tail.start();
  let descriptorSet: Uint8Array | undefined;
  const connect = connectNodeAdapter({
    routes: consoleRoutes({ system, tail, ring, descriptorSet: () => (descriptorSet ??= loadDescriptorSet()) }),
    fallback: (req, res) => void route(req as IncomingMessage, res as ServerResponse),
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    try {
      if (path === "/v1/traces") {
        if (req.method !== "POST") return send(405, "POST OTLP/HTTP trace exports here\n");
        const type = String(req.headers["content-type"] ?? "application/x-protobuf");
        const spans = decodeOtlp(await readBody(req, MAX_OTLP_BYTES), type);
        ring.add(spans);
        return type.includes("json") ? send(200, "{}", "application/json") : send(200, "", "application/x-protobuf");
      }
      if (path === "/healthz") return send(200, '{"status":"alive"}', "application/json");
      const admin = /^\/admin\/([a-z]+)(\/.*)$/.exec(path);
      if (admin) return await proxyAdmin(admin[1]!, admin[2]!, req, res);
      if (req.method === "GET") return serveStatic(path, res);
      send(404, `no route for ${req.method} ${path}\n`);
    } catch (error) {
      if (error instanceof MalformedOtlp) return send(400, `${error.message}\n`);
      log(`console: ${req.method} ${path} failed: ${(error as Error).message}`);
      if (!res.headersSent) send(500, "internal error\n");
    }
  }

  async function proxyAdmin(service: string, rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!SERVICE_NAMES.includes(service as ServiceName)) return void res.writeHead(404).end(`no service ${service}\n`);
    const target = system().services.find((s) => s.name === service)!;
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "connect-protocol-version", "connect-timeout-ms", "accept"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    if (target.adminToken) headers.authorization = `Bearer ${target.adminToken}`;
    try {
      const body = req.method === "POST" ? await readBody(req, 1024 * 1024) : undefined;
      const answer = await fetch(`${target.adminUrl}${rest}`, {
        method: req.method ?? "GET",
        headers,
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(15_000),
      });
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/octet-stream" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "unavailable", message: `${service}'s admin port ${target.adminUrl} did not answer: ${(error as Error).message}` }));
    }
  }

  function serveStatic(path: string, res: ServerResponse): void {
    const file = normalize(join(settings.webDir, path === "/" ? "index.html" : path));
    const inside = file.startsWith(normalize(settings.webDir)) && existsSync(file) && statSync(file).isFile();
    // Any other page path is the app's own route: index.html renders it.
    const chosen = inside ? file : join(settings.webDir, "index.html");
    if (!existsSync(chosen)) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
      return void res.end("The console's web app is not built: run `npm run build`.\n");
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(chosen)] ?? "application/octet-stream",
      "cache-control": inside && path.startsWith("/assets/") ? "max-age=31536000, immutable" : "no-cache",
    });
    res.end(readFileSync(chosen));
  }

  const server: Server = createServer(connect);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    ring,
    tail,
    async close() {
      await tail.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
