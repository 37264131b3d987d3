import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@acme/devstack";
import { REPO_ROOT } from "../src/settings.js";

/** The launcher refuses clearly, before starting anything, when it cannot work. */
let dir: string;
let busy: Server;
let busyPort: number;

function runLauncher(env: Record<string, string>) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "tools/launcher/src/start.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, DEVSTACK_DIR: dir, NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acme-launcher-refusals-"));
  busyPort = await freePort();
  busy = createServer().listen(busyPort, "127.0.0.1");
  await new Promise((resolve) => busy.once("listening", resolve));
});

afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("the launcher refuses to start", () => {
  it("when a port is taken, naming the variable that moves it", async () => {
    const ports = await Promise.all(Array.from({ length: 8 }, () => freePort()));
    const { status, output } = runLauncher({
      AUTH_PORT: String(ports[0]),
      PROFILE_PORT: String(busyPort),
      BILLING_PORT: String(ports[1]),
      POSTGRES_PORT: String(ports[2]),
      NATS_PORT: String(ports[3]),
      NATS_MONITOR_PORT: String(ports[4]),
      AUTH_ADMIN_PORT: String(ports[5]),
      PROFILE_ADMIN_PORT: String(ports[6]),
      BILLING_ADMIN_PORT: String(busyPort),
      CONSOLE_PORT: String(ports[7]),
    });
    expect(status).toBe(1);
    expect(output).toContain(`profile: port ${busyPort} is in use; stop what uses it or set PROFILE_PORT=<another port>`);
    expect(output).toContain(`billing admin: port ${busyPort} is in use; stop what uses it or set BILLING_ADMIN_PORT=<another port>`);
  });

  it("without nats-server on the PATH, saying how to install it", () => {
    const { status, output } = runLauncher({ PATH: join(dir, "empty-path") });
    expect(status).toBe(1);
    expect(output).toContain("nats-server was not found on the PATH");
    expect(output).toContain("apt-get install -y nats-server");
  });

  it("with a bad variable, naming it", () => {
    const { status, output } = runLauncher({ AUTH_PORT: "eighty" });
    expect(status).toBe(1);
    expect(output).toMatch(/AUTH_PORT: /);
  });
});
