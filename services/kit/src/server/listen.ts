import { createServer as createHttp1Server, type RequestListener, type Server as Http1Server } from "node:http";
import { constants as http2Constants, createServer as createHttp2Server, type Http2Server, type Http2Session } from "node:http2";
import { createServer as createNetServer, type Socket } from "node:net";
import { Duplex } from "node:stream";

export interface Listener {
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0");

/**
 * What one connection may cost: a client that opens sockets and sends
 * nothing, half a header or a trickle of body must not hold them forever.
 */
export interface ServerLimits {
  /** The request line and headers must arrive within this (HEADERS_TIMEOUT_MS). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** An HTTP/1.1 keep-alive socket with no request is closed after this. */
  keepAliveTimeoutMs: number;
  /** A new connection must send enough bytes to tell HTTP/1.1 from h2c within this. */
  sniffTimeoutMs: number;
  /** An HTTP/2 session with no activity is closed (GOAWAY) after this. */
  http2IdleTimeoutMs: number;
  /** Connections open at once in this process; more are refused (closed at accept). */
  maxConnections: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  sniffTimeoutMs: 5_000,
  http2IdleTimeoutMs: 60_000,
  maxConnections: 1_024,
};

/**
 * One port for Connect, gRPC and gRPC-Web: gRPC needs HTTP/2 (h2c, cleartext
 * with prior knowledge) and curl or browsers speak HTTP/1.1. Node's cleartext
 * HTTP/2 server cannot fall back to HTTP/1.1, so each connection's first bytes
 * pick the server: the HTTP/2 preface goes to the h2c server, anything else to
 * the HTTP/1.1 server.
 */
export async function listen(handler: RequestListener, port: number, host = "127.0.0.1", limits: Partial<ServerLimits> = {}): Promise<Listener> {
  const limit = { ...DEFAULT_SERVER_LIMITS, ...limits };
  const connections: Connections = { sockets: new Set(), sessions: new Set(), inFlight: new Map(), closing: false };
  const http1 = http1Server(handler, limit, connections);
  const http2 = http2Server(handler, limit, connections);
  const server = createNetServer((socket) => handOver(socket, http1, http2, limit, connections));
  server.maxConnections = limit.maxConnections;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    async close(graceMs = 10_000) {
      connections.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      http1.close(() => {}); // stops the timeout checker started in http1Server (it was never listening)
      for (const session of connections.sessions) session.close(); // GOAWAY: finish open streams, accept no new ones
      for (const socket of connections.sockets) {
        // HTTP/1.1 sockets with no request in flight; h2 sockets close with their session.
        if (connections.inFlight.get(socket) === 0) socket.destroySoon();
      }
      const timer = setTimeout(() => {
        for (const socket of connections.sockets) socket.destroy();
      }, graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}

/** What a listener tracks to close gracefully. */
interface Connections {
  sockets: Set<Socket>;
  sessions: Set<Http2Session>;
  /** HTTP/1.1 requests in flight per socket: on shutdown, idle keep-alive sockets close at once and busy ones right after their response. */
  inFlight: Map<Socket, number>;
  closing: boolean;
}

function http1Server(handler: RequestListener, limit: ServerLimits, connections: Connections): Http1Server {
  const http1 = createHttp1Server(
    {
      headersTimeout: limit.headersTimeoutMs,
      requestTimeout: limit.requestTimeoutMs,
      keepAliveTimeout: limit.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default, which would triple a 10 s limit).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limit.headersTimeoutMs / 4))),
    },
    handler,
  );
  // Node starts enforcing headersTimeout and requestTimeout when the server
  // emits 'listening'. This one never listens (the sniffing server hands it
  // its sockets), so start that checker by hand, or nothing times out.
  http1.emit("listening");
  const { inFlight } = connections;
  http1.on("request", (req, res) => {
    const socket = req.socket as Socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    if (connections.closing) res.setHeader("connection", "close");
    res.once("close", () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (connections.closing && left === 0) socket.destroySoon();
    });
  });
  return http1;
}

function http2Server(handler: RequestListener, limit: ServerLimits, connections: Connections): Http2Server {
  const http2 = createHttp2Server({}, handler as never);
  http2.on("session", (session) => {
    connections.sessions.add(session);
    session.once("close", () => connections.sessions.delete(session));
    // Idle: no frame either way. close() is a GOAWAY that lets open streams finish.
    session.setTimeout(limit.http2IdleTimeoutMs, () => session.close());
  });
  http2.on("stream", (stream) => {
    // The HTTP/2 counterpart of requestTimeout: a request whose body has not
    // fully arrived by then is cancelled (RST_STREAM), freeing its handler.
    const timer = setTimeout(() => {
      if (!stream.readableEnded && !stream.closed) stream.close(http2Constants.NGHTTP2_CANCEL);
    }, limit.requestTimeoutMs);
    timer.unref();
    stream.once("close", () => clearTimeout(timer));
  });
  return http2;
}

/** Reads a new connection's first bytes and hands it to the HTTP/2 server (the h2c preface) or the HTTP/1.1 one. */
function handOver(socket: Socket, http1: Http1Server, http2: Http2Server, limit: ServerLimits, connections: Connections): void {
  connections.sockets.add(socket);
  socket.once("close", () => {
    connections.sockets.delete(socket);
    connections.inFlight.delete(socket);
  });
  socket.on("error", () => socket.destroy());
  // Until the protocol is known neither server guards the socket: this does.
  const sniffTimedOut = () => socket.destroy();
  socket.setTimeout(limit.sniffTimeoutMs);
  socket.once("timeout", sniffTimedOut);
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const isHttp2 = head.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE.subarray(0, Math.min(head.length, HTTP2_PREFACE.length)));
    if (isHttp2 && head.length < HTTP2_PREFACE.length) return; // need more bytes to decide
    socket.off("data", onData);
    socket.setTimeout(0);
    socket.off("timeout", sniffTimedOut);
    socket.pause();
    if (isHttp2) {
      http2.emit("connection", replayingStream(socket, head));
    } else {
      socket.unshift(head);
      http1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
}

/**
 * The HTTP/2 server reads a net.Socket's native handle directly, so bytes
 * already read to sniff the protocol cannot be pushed back into it. It does
 * accept any Duplex: this one replays those bytes, then relays the socket.
 */
function replayingStream(socket: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  // Handlers ask the request's socket for the peer address (rate limits, logs).
  Object.defineProperty(stream, "remoteAddress", { get: () => socket.remoteAddress });
  stream.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  return stream;
}
