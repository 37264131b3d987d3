import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { find } from "./lib/model.js";
import { OVERLAYS, render, type Overlay } from "./lib/render.js";

/**
 * The rendered NATS config, run by a real nats-server (the test run's
 * global setup already needs one on the PATH): it parses, and its users and
 * permissions do what the services need and refuse what they must not do.
 */
const PASSWORDS = { AUTH_NATS_PASSWORD: "a-pass", PROFILE_NATS_PASSWORD: "p-pass", BILLING_NATS_PASSWORD: "b-pass", NOTIFICATIONS_NATS_PASSWORD: "n-pass" };

function localVersion(): [number, number] {
  const out = spawnSync("nats-server", ["--version"], { encoding: "utf8" }).stdout ?? "";
  const m = /v(\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`nats-server --version said "${out}": is nats-server on the PATH?`);
  return [Number(m[1]), Number(m[2])];
}

/** The overlay's nats-config files, rewritten to run on loopback in `dir`. */
function writeConfig(overlay: Overlay, dir: string, port: number, monitorPort: number): string[] {
  const data = { ...(find(render(overlay).objects, "ConfigMap", "nats-config").data as Record<string, string>) };
  const notes: string[] = [];
  data["nats.conf"] = data["nats.conf"]!.replace("0.0.0.0:4222", `127.0.0.1:${port}`)
    .replace("0.0.0.0:8222", `127.0.0.1:${monitorPort}`)
    .replace("/var/run/nats/nats.pid", join(dir, "nats.pid"));
  data["jetstream.conf"] = data["jetstream.conf"]!.replace("/data/jetstream", join(dir, "jetstream"));
  const [major, minor] = localVersion();
  const syncSetting = /^\s*sync_interval:.*$/m;
  if (major === 2 && minor < 10 && syncSetting.test(data["jetstream.conf"])) {
    data["jetstream.conf"] = data["jetstream.conf"].replace(syncSetting, "");
    notes.push(`nats-server ${major}.${minor} predates sync_interval (2.10): ${overlay}'s config checked without that line`);
  }
  // prod's TLS files (cert-manager's Secret nats-server-tls): a CA and a
  // certificate made here with openssl, so nats-server loads real ones.
  if (Object.values(data).some((text) => text.includes("/etc/nats-tls/"))) {
    const tls = join(dir, "tls");
    mkdirSync(tls);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: tls, stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl("req", "-x509", ...ec, "-days", "1", "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.crt");
    openssl("req", ...ec, "-subj", "/CN=nats", "-keyout", "tls.key", "-out", "tls.csr");
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", "tls.crt");
    for (const file of Object.keys(data)) data[file] = data[file]!.replaceAll("/etc/nats-tls/", `${tls}/`);
  }
  for (const [file, text] of Object.entries(data)) writeFileSync(join(dir, file), text);
  return notes;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

describe.each(OVERLAYS)("overlay %s: nats-server -t accepts the NATS config", (overlay) => {
  it("is valid", () => {
    const dir = mkdtempSync(join(tmpdir(), "acme-nats-conf-"));
    try {
      const notes = writeConfig(overlay, dir, 4222, 8222);
      if (notes.length) console.warn(notes.join("\n"));
      const run = spawnSync("nats-server", ["-c", join(dir, "nats.conf"), "-t"], {
        encoding: "utf8",
        env: { ...process.env, POD_NAME: "nats-0", ...PASSWORDS },
      });
      expect(`${run.stdout}${run.stderr}`).toContain("is valid");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("dev NATS config on a real nats-server: the services' permissions", () => {
  let server: ChildProcess;
  let dir: string;
  let url: string;
  const open: NatsConnection[] = [];
  const as = async (user: "auth" | "profile" | "billing" | "notifications", pass: string) => {
    const nc = await connect({ servers: url, user, pass, ...(user === "auth" ? {} : { inboxPrefix: `_INBOX_${user}` }), timeout: 2_000 });
    open.push(nc);
    return nc;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "acme-nats-live-"));
    const port = await freePort();
    writeConfig("dev", dir, port, await freePort());
    url = `127.0.0.1:${port}`;
    server = spawn("nats-server", ["-c", join(dir, "nats.conf")], { stdio: "ignore", env: { ...process.env, POD_NAME: "nats-0", ...PASSWORDS } });
    for (let i = 0; i < 100; i++) {
      try {
        await (await connect({ servers: url, user: "auth", pass: PASSWORDS.AUTH_NATS_PASSWORD })).close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error("nats-server did not start with the dev config");
  });

  afterAll(async () => {
    await Promise.allSettled(open.map((nc) => nc.close()));
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("auth declares AUTH_EVENTS and publishes an event", async () => {
    const nc = await as("auth", PASSWORDS.AUTH_NATS_PASSWORD);
    await (await jetstreamManager(nc)).streams.add({ name: "AUTH_EVENTS", subjects: ["auth.events.>"] });
    const ack = await jetstream(nc).publish("auth.events.user_registered.v1", "u1", { msgID: "e1" });
    expect(ack.stream).toBe("AUTH_EVENTS");
  });

  it.each(["profile", "billing", "notifications"] as const)("%s creates its durable, consumes and acks, and dead-letters", async (svc) => {
    const nc = await as(svc, PASSWORDS[`${svc.toUpperCase() as Uppercase<typeof svc>}_NATS_PASSWORD`]);
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 2_000 });
    await jsm.consumers.add("AUTH_EVENTS", { durable_name: svc, ack_policy: AckPolicy.Explicit, filter_subject: "auth.events.>" });
    const consumer = await jetstream(nc).consumers.get("AUTH_EVENTS", svc);
    const message = await consumer.next({ expires: 3_000 });
    expect(message?.string()).toBe("u1");
    expect(await message!.ackAck()).toBe(true);
    const dlq = `DLQ_${svc.toUpperCase()}`;
    await jsm.streams.add({ name: dlq, subjects: [`dlq.${svc}.>`] });
    const { seq } = await jetstream(nc).publish(`dlq.${svc}.user_registered`, "bad");
    // What its `dlq` command does: show, delete, purge.
    expect((await jsm.streams.getMessage(dlq, { seq }))?.string()).toBe("bad");
    expect(await jsm.streams.deleteMessage(dlq, seq)).toBe(true);
    expect((await jsm.streams.purge(dlq)).success).toBe(true);
  });

  it("profile may not publish auth's events", async () => {
    const nc = await as("profile", PASSWORDS.PROFILE_NATS_PASSWORD);
    await expect(jetstream(nc, { timeout: 2_000 }).publish("auth.events.user_registered.v1", "forged")).rejects.toThrow(/Permissions Violation for Publish/);
  });

  it("profile may not create or take over billing's durable consumer", async () => {
    const nc = await as("profile", PASSWORDS.PROFILE_NATS_PASSWORD);
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 2_000 });
    await expect(jsm.consumers.add("AUTH_EVENTS", { durable_name: "billing", ack_policy: AckPolicy.Explicit })).rejects.toThrow(/Permissions Violation/);
  });

  it("billing may not delete auth's stream", async () => {
    const nc = await as("billing", PASSWORDS.BILLING_NATS_PASSWORD);
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 2_000 });
    await expect(jsm.streams.delete("AUTH_EVENTS")).rejects.toThrow(/Permissions Violation/);
  });

  it("refuses a wrong password", async () => {
    await expect(connect({ servers: url, user: "profile", pass: "wrong", timeout: 2_000 })).rejects.toThrow(/Authorization Violation/);
  });
});
