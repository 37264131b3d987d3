import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startNats, startPostgres, type NatsServer, type PostgresServer } from "@acme/devstack";
import { natsUrl } from "@acme/testing";
import { startAuthFixture, type AuthFixture } from "../support/auth-fixture.js";
import { rpcError } from "../support/rpc-error.js";
import { readStream, waitForStreamCount } from "../support/stream-reader.js";

const PASSWORD = "correct horse battery staple";

/** Runs `count` registrations, `concurrency` at a time; returns the user ids. */
async function registerMany(auth: AuthFixture, label: string, count: number, concurrency = 8): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        ids.push((await auth.client.register({ email: `${label}${n}@example.com`, password: PASSWORD })).userId);
      }
    }),
  );
  return ids;
}

describe("auth under faults", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "auth-faults-"));
    await chmod(dir, 0o755); // PostgreSQL runs as user postgres and must enter it
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("200 concurrent registrations give 200 distinct events", async () => {
    const auth = await startAuthFixture();
    try {
      const ids = await registerMany(auth, "concurrent", 200, 32);
      expect(new Set(ids).size).toBe(200);
      await waitForStreamCount(natsUrl(), auth.config.AUTH_EVENTS_STREAM, 200);
      const events = await readStream(natsUrl(), auth.config.AUTH_EVENTS_STREAM);
      expect(events).toHaveLength(200);
      expect(new Set(events.map((e) => e.headers["ce-id"])).size).toBe(200);
      expect(new Set(events.map((e) => e.headers["ce-subject"]))).toEqual(new Set(ids));
    } finally {
      await auth.stop();
    }
  });

  it("with NATS down, registrations still succeed; all 200 events arrive once NATS is back, none twice", async () => {
    const natsDir = join(dir, "nats");
    const ports = { port: await freePort(), monitorPort: await freePort() };
    let nats: NatsServer = await startNats({ dir: natsDir, ...ports });
    const auth = await startAuthFixture({ NATS_URL: nats.url });
    try {
      await registerMany(auth, "before", 5);
      await waitForStreamCount(nats.url, auth.config.AUTH_EVENTS_STREAM, 5);

      await nats.kill();
      const ids = await registerMany(auth, "outage", 200);
      expect(ids).toHaveLength(200);
      const ready = await fetch(`${auth.adminUrl}/readyz`);
      expect(ready.status).toBe(503);

      nats = await startNats({ dir: natsDir, ...ports });
      await waitForStreamCount(nats.url, auth.config.AUTH_EVENTS_STREAM, 205, 30_000);
      const events = await readStream(nats.url, auth.config.AUTH_EVENTS_STREAM);
      expect(events).toHaveLength(205);
      const perUser = new Map<string, number>();
      for (const e of events) perUser.set(e.headers["ce-subject"]!, (perUser.get(e.headers["ce-subject"]!) ?? 0) + 1);
      expect(ids.every((id) => perUser.get(id) === 1)).toBe(true);
    } finally {
      await auth.stop();
      await nats.stop();
    }
  });

  it("with Postgres down, RPCs answer unavailable and the service recovers when it returns", async () => {
    const pgPort = await freePort();
    let pg: PostgresServer = await startPostgres({ dataDir: join(dir, "pg"), port: pgPort });
    const auth = await startAuthFixture({ DATABASE_URL: pg.adminUrl() });
    try {
      await auth.client.register({ email: "before@example.com", password: PASSWORD });
      await pg.stop();

      const error = await rpcError(auth.client.register({ email: "during@example.com", password: PASSWORD }));
      expect(error.code).toBe(Code.Unavailable);
      expect(error.rawMessage).toBe("auth's database is unavailable right now; try again shortly");
      const login = await rpcError(auth.client.login({ email: "before@example.com", password: PASSWORD }));
      expect(login.code).toBe(Code.Unavailable);
      const ready = await fetch(`${auth.adminUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.database).not.toBe("ok");
      expect((await fetch(`${auth.baseUrl}/healthz`)).status).toBe(200); // alive, just not ready

      pg = await startPostgres({ dataDir: join(dir, "pg"), port: pgPort });
      const deadline = Date.now() + 15_000;
      let userId: string | undefined;
      while (!userId && Date.now() < deadline) {
        userId = await auth.client.register({ email: "after@example.com", password: PASSWORD }).then(
          (r) => r.userId,
          () => undefined,
        );
        if (!userId) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(userId).toBeDefined();
      expect((await auth.client.login({ email: "before@example.com", password: PASSWORD })).accessToken).not.toBe("");
    } finally {
      await auth.service.stop();
      await pg.stop();
    }
  });
});
