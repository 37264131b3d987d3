import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { headers as natsHeaders, connect } from "@nats-io/transport-node";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, NATS_PERMISSIONS, startNats, type NatsServer } from "@acme/devstack";
import { REPO_ROOT } from "../src/config.js";

/**
 * The console in a real browser (Debian's Chromium driven by playwright-core)
 * against the whole system as `npm start` runs it: the launcher on free ports
 * and a temporary DEVSTACK_DIR. NATS is started here, with the launcher's
 * permission list plus one test-only user that may publish poison events;
 * that user exists in this test's server config only.
 */
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(REPO_ROOT, "reports", "console");
const DOCS = join(REPO_ROOT, "docs", "console");
const PASSWORD = "correct horse battery staple";

interface LauncherState {
  stopPid: number;
  ready: boolean;
  services: Record<string, { pid: number; url: string }>;
  console?: { url: string };
}

let dir: string;
let nats: NatsServer;
let launcher: ChildProcess;
let output = "";
let state: LauncherState;
let browser: Browser;
let page: Page;
const passwords = Object.fromEntries(Object.keys(NATS_PERMISSIONS).map((u) => [u, randomBytes(12).toString("base64url")]));
const poisoner = { user: "test-poisoner", password: randomBytes(12).toString("base64url") };

async function shot(name: string): Promise<void> {
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (process.env.SCREENSHOTS_TO_DOCS) {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  }
}

async function callRpc(service: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${state.services[service]!.url}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

const letters = (region: ReturnType<Page["getByRole"]>) => region.locator('table[aria-label$="dead letters"] tbody tr');

/** Pick an RPC in the explorer, put the JSON in, send; returns the Connect code shown. */
async function send(rpc: string, body: unknown): Promise<string> {
  await page.getByRole("button", { name: rpc, exact: true }).click();
  await page.locator("#request-body").fill(JSON.stringify(body, null, 2));
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByTestId("connect-code").waitFor();
  return (await page.getByTestId("connect-code").textContent()) ?? "";
}

describe("the console in a browser, against the system `npm start` runs", () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "acme-console-browser-"));
    // As root, PostgreSQL runs as user `postgres`, which must be able to enter the folder.
    chmodSync(dir, 0o755);
    const ports = { nats: await freePort(), natsMonitor: await freePort() };
    nats = await startNats({
      dir: join(dir, "nats"),
      port: ports.nats,
      monitorPort: ports.natsMonitor,
      users: [
        ...Object.entries(NATS_PERMISSIONS).map(([user, permissions]) => ({ user, password: passwords[user]!, ...permissions })),
        { ...poisoner, publish: ["auth.events.>"], subscribe: [] },
      ],
    });
    const env: Record<string, string> = {
      DEVSTACK_DIR: join(dir, "devstack"),
      NATS_URL: nats.url,
      AUTH_NATS_USER: "auth",
      AUTH_NATS_PASSWORD: passwords.auth!,
      PROFILE_NATS_USER: "profile",
      PROFILE_NATS_PASSWORD: passwords.profile!,
      BILLING_NATS_USER: "billing",
      BILLING_NATS_PASSWORD: passwords.billing!,
      NOTIFICATIONS_NATS_USER: "notifications",
      NOTIFICATIONS_NATS_PASSWORD: passwords.notifications!,
      CONSOLE_NATS_PASSWORD: passwords.console!,
      LOG_LEVEL: "warn",
      // Spans reach the console within half a second (the default batch delay is 5 s).
      OTEL_BSP_SCHEDULE_DELAY: "500",
    };
    for (const name of [
      "POSTGRES_PORT",
      "AUTH_PORT",
      "PROFILE_PORT",
      "BILLING_PORT",
      "NOTIFICATIONS_PORT",
      "AUTH_ADMIN_PORT",
      "PROFILE_ADMIN_PORT",
      "BILLING_ADMIN_PORT",
      "NOTIFICATIONS_ADMIN_PORT",
      "SMTP_SINK_PORT",
      "CONSOLE_PORT",
    ])
      env[name] = String(await freePort());
    launcher = spawn(process.execPath, ["--import", "tsx", "tools/launcher/src/start.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    launcher.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 110_000;
    for (;;) {
      const file = join(env.DEVSTACK_DIR!, "launcher.json");
      let read: LauncherState | undefined;
      try {
        read = JSON.parse(readFileSync(file, "utf8")) as LauncherState;
      } catch {
        // not written yet, or being written
      }
      if (read?.ready) {
        state = read;
        break;
      }
      if (launcher.exitCode !== null || Date.now() > deadline) throw new Error(`the launcher did not come up; its output:\n${output.slice(-4_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.log(`the system was up in ${((Date.now() - deadline + 110_000) / 1000).toFixed(1)} s`);
    expect(state.console?.url).toBe(`http://127.0.0.1:${env.CONSOLE_PORT}`);
    expect(output).toContain(state.console!.url);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // playwright gives every launch a fresh temporary profile (--user-data-dir).
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    if (launcher && launcher.exitCode === null) {
      const exited = new Promise((resolve) => launcher.once("exit", resolve));
      launcher.kill("SIGTERM");
      await exited;
    }
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  let userId = "";
  let traceId = "";
  let registeredEmail = "";

  it("registers, logs in and reads a profile through the API explorer, and shows the chain of effects", async () => {
    await page.goto(`${state.console!.url}/#/explorer`);
    const email = `ada-${randomUUID().slice(0, 8)}@example.com`;
    registeredEmail = email;
    expect(await send("AuthService.Register", { email, password: PASSWORD })).toBe("ok");
    userId = JSON.parse((await page.getByLabel("response body").textContent())!).userId;
    // The call's own trace: auth's spans, then what each consumer did with the event it emitted.
    const chain = page.getByRole("region", { name: "chain of effects" });
    await chain.locator('[data-consumer="profile"]', { hasText: "applied" }).first().waitFor();
    await chain.locator('[data-consumer="billing"]', { hasText: "applied" }).first().waitFor();
    traceId = ((await chain.locator("a").first().textContent()) ?? "").trim();

    expect(await send("AuthService.Login", { email, password: PASSWORD })).toBe("ok");
    await expect.poll(() => page.getByLabel("Bearer token").inputValue()).toMatch(/^ey/);
    expect(await send("ProfileService.GetProfile", { userId })).toBe("ok");
    expect(await page.getByLabel("response body").textContent()).toContain(email);
    await page.getByRole("button", { name: "Copy as curl" }).click();
    expect(await page.getByLabel("curl command").textContent()).toMatch(
      /curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/acme\.profile\.v1\.ProfileService\/GetProfile[\s\S]*Authorization: Bearer ey/,
    );
    // A service's error, with the code and message it sent.
    expect(await send("ProfileService.GetProfile", { userId: randomUUID() })).toBe("permission_denied");
    await shot("explorer");
  });

  it("shows the event in Events, with profile and billing applied, and links to its trace", async () => {
    await page.goto(`${state.console!.url}/#/events`);
    await page.getByLabel("Search events").fill(userId);
    const row = page.locator("tr[data-event-id]").first();
    await row.locator('[data-consumer="profile"][data-state="applied"]').waitFor();
    await row.locator('[data-consumer="billing"][data-state="applied"]').waitFor();
    await row.click();
    const detail = page.getByRole("region", { name: "event detail" });
    await expect.poll(() => detail.getByLabel("decoded payload").textContent()).toContain(userId);
    expect(await detail.locator("table").last().textContent()).toContain("ce-type");
    // A trace id pasted into the search finds its event.
    await page.getByLabel("Search events").fill(traceId);
    await expect.poll(() => page.locator("tr[data-event-id]").count()).toBe(1);
    await shot("events");
    await detail.getByRole("link", { name: /Open the event's trace/ }).click();
    await expect.poll(() => page.url()).toContain(`#/traces/${traceId}`);
  });

  it("draws the registration's trace with auth, the relay, profile and billing, and links a messaging span back to its event", async () => {
    const legend = page.getByLabel("services in this trace");
    for (const service of ["auth", "relay", "profile", "billing"]) await legend.locator(`[data-service="${service}"]`).waitFor();
    await page.locator('button[data-service="profile"][data-span-name^="process"]').first().click();
    const span = page.getByRole("region", { name: "span detail" });
    expect(await span.textContent()).toContain("acme.event.outcome");
    await shot("traces");
    await span.getByRole("link", { name: /Open the event/ }).click();
    await page.getByRole("region", { name: "event detail" }).waitFor();
    expect(await page.getByRole("region", { name: "event detail" }).textContent()).toContain("UserRegistered");
  });

  it("shows the registration's welcome mail on the Mail page, its HTML sandboxed, and links it to the registration's trace", async () => {
    await page.goto(`${state.console!.url}/#/mail`);
    await page.getByLabel("Search mail").fill(registeredEmail);
    const row = page.locator("tr[data-message-id]", { hasText: "Welcome to Acme" });
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    await row.click();
    const detail = page.getByRole("region", { name: "mail detail" });
    expect(await detail.locator("table").textContent()).toContain(registeredEmail);
    expect(await detail.getByLabel("text body").textContent()).toContain(registeredEmail);
    // The HTML part renders only inside a frame with an empty sandbox: no scripts, its own opaque origin.
    const frame = detail.locator("iframe.mail-html");
    expect(await frame.getAttribute("sandbox")).toBe("");
    await expect.poll(() => page.frameLocator("iframe.mail-html").locator("body").textContent()).toContain(registeredEmail);
    await shot("mail");
    await detail.getByRole("link", { name: /Open the trace/ }).click();
    await expect.poll(() => page.url()).toContain(`#/traces/${traceId}`);
    // The send is a span of the same trace as the registration that caused it.
    await page.locator('button[data-service="notifications"][data-span-name="send mail welcome"]').first().waitFor({ timeout: 30_000 });
  });

  it("lists poison events as dead letters per consumer, replays one and purges them", async () => {
    const nc = await connect({ servers: nats.url, user: poisoner.user, pass: poisoner.password });
    try {
      for (let i = 0; i < 2; i++) {
        const h = natsHeaders();
        for (const [name, value] of Object.entries({
          "ce-id": randomUUID(),
          "ce-type": "acme.auth.events.v1.UserRegistered",
          "ce-source": "test-poisoner",
          "ce-specversion": "1.0",
          "ce-subject": randomUUID(),
          "ce-time": new Date().toISOString(),
          "ce-datacontenttype": "application/protobuf",
        }))
          h.set(name, value);
        nc.publish("auth.events.user_registered.v1", new Uint8Array([0xff, 0xff, 0xff, 0xff]), { headers: h });
      }
      await nc.flush();
    } finally {
      await nc.close();
    }
    await page.goto(`${state.console!.url}/#/dead-letters`);
    const profile = page.getByRole("region", { name: "dead letters of profile" });
    const billing = page.getByRole("region", { name: "dead letters of billing" });
    // Each consumer dead-letters the two on its own schedule: both hold them before profile's are touched.
    await expect.poll(() => letters(profile).count(), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => letters(billing).count(), { timeout: 30_000 }).toBe(2);
    await letters(profile).first().getByRole("button", { name: "details" }).click();
    await profile.getByLabel("dead letter detail").waitFor();
    await shot("dead-letters");

    page.once("dialog", (dialog) => void dialog.accept());
    await letters(profile).first().getByRole("checkbox").check();
    await profile.getByRole("button", { name: "Replay selected" }).click();
    // Poison stays poison: the replay is tried and reported, to profile only.
    await expect.poll(() => profile.getByRole("status").textContent()).toMatch(/#\d+: (failed|refused|applied|already_applied)/);

    page.once("dialog", (dialog) => void dialog.accept());
    await profile.getByLabel("select all dead letters of profile").check();
    await profile.getByRole("button", { name: "Purge selected" }).click();
    await expect.poll(() => letters(profile).count(), { timeout: 20_000 }).toBe(0);
    // Billing's own dead letters are untouched by profile's purge: a fresh page lists both of them again.
    await page.reload();
    await expect.poll(() => letters(billing).count(), { timeout: 20_000 }).toBe(2);
  });

  it("shows a consumer's lag rise while it is stopped and fall after it returns", async () => {
    await page.goto(`${state.console!.url}/#/overview`);
    const lag = page.getByTestId("lag-billing");
    await expect.poll(() => lag.textContent()).toBe("0");
    const billing = state.services.billing!.pid;
    process.kill(billing, "SIGSTOP");
    try {
      for (let i = 0; i < 3; i++)
        expect(
          (await callRpc("auth", "acme.auth.v1.AuthService/Register", { email: `lag-${i}-${randomUUID().slice(0, 6)}@example.com`, password: PASSWORD }))
            .status,
        ).toBe(200);
      await expect.poll(async () => Number(await lag.textContent()), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      await shot("overview-lagging");
    } finally {
      process.kill(billing, "SIGCONT");
    }
    await expect.poll(async () => Number(await lag.textContent()), { timeout: 30_000 }).toBe(0);
    await shot("overview");
  });
});
