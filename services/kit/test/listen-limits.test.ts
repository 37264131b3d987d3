import { connect as http2Connect } from "node:http2";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type Listener } from "../src/server/listen.js";

/** Resolves when the server closes the socket (with whatever it sent first). */
function closedByServer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.on("error", () => {});
    socket.once("close", () => resolve(received));
  });
}

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });

describe("listen(): timeouts and the connection cap", () => {
  let server: Listener;
  const limits = { headersTimeoutMs: 500, requestTimeoutMs: 1_500, keepAliveTimeoutMs: 300, sniffTimeoutMs: 300, http2IdleTimeoutMs: 500, maxConnections: 50 };

  beforeAll(async () => {
    server = await listen(
      (req, res) => {
        req.resume();
        req.on("end", () => res.end("ok"));
      },
      0,
      "127.0.0.1",
      limits,
    );
  });
  afterAll(() => server.close(100));

  const answers = async () => (await fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body: "x" })).status;

  it("closes connections that send half a header (408), and keeps answering others", async () => {
    const sockets = await Promise.all(Array.from({ length: 30 }, () => open(server.port)));
    const closed = sockets.map(closedByServer);
    for (const socket of sockets) socket.write("POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const replies = await Promise.all(closed);
    expect(replies.every((reply) => reply === "" || reply.startsWith("HTTP/1.1 408"))).toBe(true);
    expect(await answers()).toBe(200);
  });

  it("closes connections that send nothing (the protocol sniffing stage) and half an HTTP/2 preface", async () => {
    const silent = await open(server.port);
    const halfPreface = await open(server.port);
    halfPreface.write("PRI * HTTP");
    expect(await Promise.all([closedByServer(silent), closedByServer(halfPreface)])).toEqual(["", ""]);
  });

  it("closes a request whose body never completes", async () => {
    const socket = await open(server.port);
    const closed = closedByServer(socket);
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part of it");
    expect(await closed).toMatch(/^(HTTP\/1.1 408|$)/);
  });

  it("closes idle keep-alive sockets", async () => {
    const socket = await open(server.port);
    const closed = closedByServer(socket);
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx");
    expect(await closed).toMatch(/^HTTP\/1.1 200/);
  });

  it("closes an idle HTTP/2 session", async () => {
    const session = http2Connect(`http://127.0.0.1:${server.port}`);
    session.on("error", () => {});
    await new Promise<void>((resolve) => session.once("connect", () => resolve()));
    const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    await goaway;
    await new Promise<void>((resolve) => (session.closed ? resolve() : session.once("close", () => resolve())));
    expect(session.closed || session.destroyed).toBe(true);
  });

  it("refuses connections beyond the cap, and answers again once they are gone", async () => {
    const held = await Promise.all(Array.from({ length: 50 }, () => open(server.port)));
    for (const socket of held) socket.write("P"); // past sniffing, so the cap (not the sniff timeout) is what is tested first
    const extra = await open(server.port);
    expect(await closedByServer(extra)).toBe("");
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await answers()).toBe(200);
  });
});
