import net from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { RelayLock } from "../../src/outbox/relay-lock.js";

/**
 * A TCP proxy in front of the test PostgreSQL that can swallow what clients
 * send (a database that stops answering) and reset every connection (a
 * database that dies under them).
 */
async function startFaultyProxy(databaseUrl: string) {
  const target = new URL(databaseUrl);
  const clients = new Set<net.Socket>();
  let swallowing = false;
  const server = net.createServer((client) => {
    clients.add(client);
    const upstream = net.connect(Number(target.port), target.hostname);
    client.on("data", (chunk: Buffer) => {
      if (!swallowing) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    client.on("error", () => {});
    upstream.on("error", () => {});
    client.on("close", () => {
      clients.delete(client);
      upstream.destroy();
    });
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    swallow(on: boolean) {
      swallowing = on;
    },
    resetAll() {
      for (const client of clients) client.resetAndDestroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Whether a promise settled before `ms`; only a hang fails this (a generous bound, not a timing check). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, new Promise<boolean>((resolve) => setTimeout(resolve, ms, false))]);
}

async function takeEventually(lock: RelayLock): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await lock.take().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("the lock was never taken again");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("relay lock when its connection fails", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("relay_lock_failures");
  });
  afterAll(() => db.drop());

  const client = (url: string) => () => postgres(url, { max: 1, onnotice: () => {}, fetch_types: false });

  it("a take right after the connection was reset mid-query settles (postgres.js would leave it pending forever), and the lock is taken again", async () => {
    const proxy = await startFaultyProxy(db.url);
    // A deadline far beyond the bound below: what must settle the take is the new connection, not the deadline.
    const lock = new RelayLock(client(proxy.url), "failing-lock", 0, 600_000);
    try {
      expect(await lock.take()).toBe(true);
      proxy.swallow(true);
      const release = lock.release();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the release is on the wire, unanswered
      proxy.swallow(false);
      proxy.resetAll();
      // As the relay does when it steps down: the release fails, and the next take follows at once.
      const take = release.then(
        () => {
          throw new Error("the release should have failed with the connection");
        },
        () => lock.take(),
      );
      expect(await settlesWithin(take, 20_000)).toBe(true);
      await takeEventually(lock);
    } finally {
      await lock.close();
      await proxy.close();
    }
  });

  it("a query that gets no answer counts as a failure: the connection is dropped and the next take opens a new one", async () => {
    const proxy = await startFaultyProxy(db.url);
    const lock = new RelayLock(client(proxy.url), "silent-lock", 0, 1_000);
    try {
      proxy.swallow(true);
      await expect(lock.take()).rejects.toThrow("no answer from the database within 1000 ms");
      proxy.swallow(false);
      await takeEventually(lock);
    } finally {
      await lock.close();
      await proxy.close();
    }
  });

  it("refuses queries once closed, without opening a connection", async () => {
    let opened = 0;
    const lock = new RelayLock(() => {
      opened++;
      return client(db.url)();
    }, "closed-lock");
    await lock.close();
    await expect(lock.take()).rejects.toThrow("relay lock: closed");
    expect(opened).toBe(0);
  });
});
