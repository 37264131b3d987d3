import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthAdminService } from "@acme/gen/acme/admin/v1/auth_admin_pb";
import { ConsumerStatusService } from "@acme/gen/acme/admin/v1/consumer_admin_pb";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";
import { ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";
import { freePort } from "@acme/devstack";
import type { Credentials } from "../src/credentials.js";
import { DEMO_PASSWORD, runDemo, type DemoResult } from "../src/demo-flow.js";
import { REPO_ROOT } from "../src/settings.js";
import { isAlive, readState, type LauncherState } from "../src/state.js";
import { bearer } from "@acme/testing/bearer";

/**
 * `npm start` as a user runs it: the launcher as its own process tree on
 * free ports and a temporary DEVSTACK_DIR, the demo against it, the trust
 * boundaries it sets up, then SIGTERM and a search for anything left behind.
 */
interface Launch {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  state: LauncherState;
}

let dir: string;
let env: Record<string, string>;
const launches: Launch[] = [];

async function launch(): Promise<Launch> {
  const child = spawn(process.execPath, ["--import", "tsx", "tools/launcher/src/start.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // Four services and the console start on two shared cores of a loaded machine.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = readState(dir);
    if (state?.ready && state.pid !== launches.at(-1)?.state.pid) {
      const launched = { child, output: () => output, exited, state };
      launches.push(launched);
      return launched;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the launcher did not come up; its output:\n${output.slice(-4_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function pidsOf(state: LauncherState): Record<string, number> {
  return {
    launcher: state.pid,
    "npm start": state.stopPid,
    postgres: state.postgres!.pid,
    "nats-server": state.nats!.pid,
    ...Object.fromEntries(Object.entries(state.services).map(([name, s]) => [name, s!.pid])),
    ...(state.console ? { console: state.console.pid } : {}),
  };
}

/** The variables of a service's Kubernetes ConfigMap (an env file: NAME=value lines and # comments). */
function deployedEnvironment(service: string): Record<string, string> {
  const lines = readFileSync(join(REPO_ROOT, "deploy/base", service, "config.env"), "utf8").split("\n");
  return Object.fromEntries(
    lines.filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** Processes whose command line names the test's data folder (postgres -D DIR, nats-server -c DIR/...). */
function processesUsing(folder: string): string[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        return cmd.includes(folder) && isAlive(Number(pid)) ? [`${pid}: ${cmd}`] : [];
      } catch {
        return [];
      }
    });
}

async function stopAndExpectNothingLeft(launched: Launch, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
  const pids = pidsOf(launched.state);
  process.kill(launched.state.stopPid, signal);
  const code = await launched.exited;
  if (signal === "SIGTERM") expect(code, launched.output().slice(-3_000)).toBe(0);
  // After a kill -9 of `npm start`, the launcher stops everything on its own: wait for it.
  const deadline = Date.now() + 30_000;
  while (Object.values(pids).some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const alive = Object.entries(pids).filter(([, pid]) => isAlive(pid));
  expect(alive, "processes still running after the launcher exited").toEqual([]);
  expect(processesUsing(dir)).toEqual([]);
  expect(existsSync(join(dir, "launcher.json"))).toBe(false);
  if (signal === "SIGTERM") expect(launched.output()).toMatch(/\[launcher\].*stopped/);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "acme-launcher-"));
  // As root, PostgreSQL runs as user `postgres`, which must be able to enter the folder.
  await chmod(dir, 0o755);
  const ports = await Promise.all(Array.from({ length: 13 }, () => freePort()));
  const [auth, profile, billing, notifications, pg, nats, monitor, authAdmin, profileAdmin, billingAdmin, notificationsAdmin, sink, consolePort] = ports.map(
    String,
  ) as [string, string, string, string, string, string, string, string, string, string, string, string, string];
  env = {
    DEVSTACK_DIR: dir,
    AUTH_PORT: auth,
    PROFILE_PORT: profile,
    BILLING_PORT: billing,
    NOTIFICATIONS_PORT: notifications,
    POSTGRES_PORT: pg,
    NATS_PORT: nats,
    NATS_MONITOR_PORT: monitor,
    AUTH_ADMIN_PORT: authAdmin,
    PROFILE_ADMIN_PORT: profileAdmin,
    BILLING_ADMIN_PORT: billingAdmin,
    NOTIFICATIONS_ADMIN_PORT: notificationsAdmin,
    SMTP_SINK_PORT: sink,
    CONSOLE_PORT: consolePort,
    LOG_LEVEL: "info",
    NO_COLOR: "1",
  };
  await launch();
}, 150_000);

afterAll(async () => {
  // Only if a test failed half-way: take the whole group down, then the data.
  for (const { child, state } of launches) {
    if (child.exitCode === null) child.kill("SIGKILL");
    if (isAlive(state.pid)) process.kill(-state.pid, "SIGKILL");
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("npm start", () => {
  let demo: DemoResult;

  it("runs the demo: registration, profile and billing by event, email change, deletion", async () => {
    const { services } = launches[0]!.state;
    demo = await runDemo(
      {
        auth: services.auth!.url,
        profile: services.profile!.url,
        billing: services.billing!.url,
        notifications: services.notifications!.url,
        mailDir: launches[0]!.state.mailSink!.dir,
      },
      () => {},
    );
    expect(demo.profileDisplayName).toEqual({ registered: demo.ada.email, changed: demo.ada.newEmail });
    expect(demo.billingEmail).toEqual({ registered: demo.ada.email, changed: demo.ada.newEmail });
    expect(demo.strangerReadCode).toBe("permission_denied");
    expect(demo.afterDelete).toEqual({ login: "unauthenticated", profile: "not_found", billing: "not_found" });
    // The sink (a real SMTP server the launcher started) got the welcome, and the notice at the OLD address.
    expect(demo.mails).toEqual({ welcome: demo.ada.email, notice: demo.ada.email, confirmation: demo.ada.newEmail });
    // The old address is told what its account's address became, masked (ASVS V6.3.7).
    expect(demo.noticeSays).toMatch(/was changed to a\*+@example\.com at /);
  });

  it("gives each service an admin port (readiness, metrics, admin RPCs) behind the generated admin token", async () => {
    const { services } = launches[0]!.state;
    const credentials = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8")) as Credentials;
    expect(credentials.adminToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const admin = (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(credentials.adminToken)] });
    for (const name of ["auth", "profile", "billing"] as const) {
      const { url, adminUrl } = services[name]!;
      expect(adminUrl).toBeDefined();
      expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${adminUrl}/metrics`)).text()).toContain("rpc_duration_seconds");
      expect((await fetch(`${url}/metrics`)).status, "metrics left the public port").toBe(404);
    }
    const outbox = await createClient(AuthAdminService, admin(services.auth!.adminUrl!)).getOutboxStatus({});
    expect(outbox.answeringInstanceRelays).toBe(true);
    const status = await createClient(ConsumerStatusService, admin(services.billing!.adminUrl!)).getConsumerStatus({});
    expect(status.consumer).toBe("billing");
  });

  it("runs each service with the Node flags and thread pool of its Kubernetes ConfigMap (deploy/base/<service>/config.env)", () => {
    const { services } = launches[0]!.state;
    for (const name of ["auth", "profile", "billing", "notifications"] as const) {
      const production = deployedEnvironment(name);
      const argv = readFileSync(`/proc/${services[name]!.pid}/cmdline`, "utf8").split("\0");
      const environ = readFileSync(`/proc/${services[name]!.pid}/environ`, "utf8").split("\0");
      expect(production.NODE_OPTIONS, `${name}'s config.env sets NODE_OPTIONS`).toBeDefined();
      expect(argv).toEqual(expect.arrayContaining(production.NODE_OPTIONS!.split(" ")));
      if (production.UV_THREADPOOL_SIZE) expect(environ).toContain(`UV_THREADPOOL_SIZE=${production.UV_THREADPOOL_SIZE}`);
    }
    expect(deployedEnvironment("auth").UV_THREADPOOL_SIZE, "auth's hashes in flight are bounded").toBeDefined();
  });

  it("gives profile's database credentials its own database and no other", async () => {
    const credentials = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8")) as Credentials;
    const port = launches[0]!.state.postgres!.port;
    const as = (database: string) =>
      postgres(`postgres://profile:${credentials.services.profile.database}@127.0.0.1:${port}/${database}`, { max: 1, onnotice: () => {} });
    const own = as("profile");
    const auths = as("auth");
    try {
      expect(await own`select current_user as who`).toEqual([{ who: "profile" }]);
      await expect(auths`select 1`).rejects.toThrow(/permission denied for database "auth"/);
    } finally {
      await Promise.all([own.end(), auths.end()]);
    }
  });

  it("does not let profile's NATS user publish auth's events", async () => {
    const credentials = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8")) as Credentials;
    const nc = await connect({
      servers: launches[0]!.state.nats!.url,
      user: "profile",
      pass: credentials.services.profile.nats,
      inboxPrefix: "_INBOX_profile",
      timeout: 3_000,
    });
    try {
      await expect(jetstream(nc, { timeout: 3_000 }).publish("auth.events.user_registered.v1", "forged")).rejects.toThrow(/Permissions Violation for Publish/);
    } finally {
      await nc.close();
    }
  });

  it("refuses a second launcher on the same data while the first runs", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "tools/launcher/src/start.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`the system already runs on ${dir} (launcher pid ${launches[0]!.state.pid})`);
    expect(readState(dir)?.pid, "the running launcher's record is kept").toBe(launches[0]!.state.pid);
  });

  it("stops everything on SIGTERM, leaving no process behind", async () => {
    await stopAndExpectNothingLeft(launches[0]!);
  });

  it("reuses the data on a second start", async () => {
    expect(demo, "the demo test ran first").toBeDefined();
    // A credentials file from before admin tokens existed gets one added.
    const file = join(dir, "credentials.json");
    const { adminToken: _dropped, ...older } = JSON.parse(await readFile(file, "utf8")) as Credentials;
    await writeFile(file, JSON.stringify(older));
    const second = await launch();
    expect((JSON.parse(await readFile(file, "utf8")) as Credentials).adminToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const { services } = second.state;
    const transport = (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1" });
    const login = await createClient(AuthService, transport(services.auth!.url)).login({ email: demo.ada.newEmail, password: DEMO_PASSWORD });
    expect(login.userId).toBe(demo.ada.userId);
    const { profile } = await createClient(ProfileService, transport(services.profile!.url)).getProfile(
      { userId: demo.ada.userId },
      { headers: { authorization: `Bearer ${login.accessToken}` } },
    );
    expect(profile?.displayName).toBe(demo.ada.newEmail);
  });

  it("stops everything even when npm start itself is killed outright (kill -9)", async () => {
    const second = launches[1];
    expect(second, "the second start is running").toBeDefined();
    await stopAndExpectNothingLeft(second!, "SIGKILL");
  });
});
