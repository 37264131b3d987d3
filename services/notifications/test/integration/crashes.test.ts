import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, readMailDir, waitUntil } from "@acme/devstack";
import { notificationsFixture, type NotificationsFixture } from "../support/notifications-fixture.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/** A script of this repository as its own process (node --import tsx: its pid is the server's, so kill -9 kills it). */
function run(script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return { process: child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))), output: () => output };
}

async function crashed(child: Child, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    child.exited,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: did not crash\n${child.output()}`)), 120_000))),
  ]).finally(() => clearTimeout(timer));
  expect(code, what).toBeNull(); // ended by SIGKILL
}

/**
 * notifications and the SMTP sink as processes, killed with -9 at the
 * worst moments: inside the batch transaction (before COMMIT), after COMMIT
 * and before the ack, after the SMTP server accepted a mail and before it was
 * marked sent; and the sink itself. Every event still ends as exactly one
 * Message-ID per template in the sink: never lost, and a mail sent twice
 * carries the same Message-ID (the receiver's dedupe key).
 */
describe("kill -9 of notifications and of the mail sink", () => {
  let f: NotificationsFixture;
  let sink: Child | undefined;
  const startSink = async () => {
    sink = run("tools/devstack/src/mail-sink-main.ts", { SMTP_SINK_PORT: String(f.smtpPort), MAIL_DIR: f.mailDir });
    await waitUntil("sink listening", async () => sink!.output().includes("mail sink listening"), 30_000);
  };

  beforeAll(async () => {
    // Each crash costs the events in hand a delivery, and a slow start on a loaded machine more: room for them all.
    f = await notificationsFixture("notifications_crashes", { MAIL_LEASE_MS: "3000", CONSUMER_MAX_DELIVER: "30", CONSUMER_ACK_WAIT_MS: "5000" });
    await f.stopSink(); // the sink runs as its own process here, so that it can be killed
    await startSink();
  });
  afterAll(async () => {
    sink?.process.kill("SIGKILL");
    await f?.close();
  });

  it("every acked write produces exactly one mail per template, counted by Message-ID", async () => {
    const expected = new Set<string>();
    const id = (eventId: string, template: string) => `<${eventId}.${template}@notifications.acme.test>`;
    const users = Array.from({ length: 4 }, () => f.newUserId());
    for (const [i, userId] of users.entries()) expected.add(id((await f.auth.registered(userId, `crash${i}@example.com`)).id, "welcome"));
    const change = await f.auth.emailChanged(users[0]!, "moved@example.com", 2);
    expected.add(id(change.id, "email-changed-notice")).add(id(change.id, "email-changed-confirmation"));

    const process = async (extra: Record<string, string>) =>
      run("services/notifications/src/main.ts", {
        ...f.env,
        PORT: String(await freePort()),
        ADMIN_PORT: String(await freePort()),
        LOG_LEVEL: "warn",
        ...extra,
      });
    const step = (what: string) => console.log(`${new Date().toISOString()} ${what}`);
    await crashed(await process({ FAULT_KILL_BEFORE_COMMIT_AT: "1" }), "before COMMIT");
    step("killed before COMMIT");
    await crashed(await process({ FAULT_KILL_AFTER_COMMIT_AT: "1" }), "after COMMIT");
    step("killed after COMMIT");
    await crashed(await process({ FAULT_KILL_AFTER_MAIL_ACCEPTED_AT: "1" }), "after the SMTP server accepted a mail");
    step("killed after the SMTP server accepted a mail");
    sink!.process.kill("SIGKILL");
    await sink!.exited;
    const last = await process({});
    try {
      await waitUntil("mail queued while the sink is dead", async () => (await f.sql`select 1 from mails`).length === expected.size, 120_000);
      await startSink();
      await waitUntil("every mail marked sent", async () => (await f.sql`select 1 from mails where status <> 'sent'`).length === 0, 120_000);
    } finally {
      last.process.kill("SIGTERM");
      await last.exited;
    }
    const received = await readMailDir(f.mailDir);
    expect(new Set(received.map((m) => m.messageId))).toEqual(expected);
    // At least once: a mail accepted just before the kill went out again, under the same Message-ID.
    expect(received.length).toBeGreaterThanOrEqual(expected.size);
    expect(await f.sql`select event_id, template from mails group by 1, 2 having count(*) > 1`).toEqual([]);
  }, 300_000); // four service starts and a sink restart, on two shared cores
});
