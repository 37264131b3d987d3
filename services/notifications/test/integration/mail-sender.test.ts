import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startMailSink, waitUntil, type MailSink } from "@acme/devstack";
import { openDatabase, type Database, runMigrations } from "@acme/kit/db";
import { createLogger } from "@acme/kit/logging";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { recordMails, type NewMail } from "../../src/db/mail-outbox.js";
import { schema } from "../../src/db/schema.js";
import { trace } from "@acme/kit/observability";
import { startMailSender, type MailSender, type MailSenderSettings } from "../../src/mail/mail-sender.js";
import { MIGRATIONS_FOLDER } from "../../src/migrations.js";
import { renderMail } from "../../src/domain/templates.js";

/** The sender against a real PostgreSQL and a real SMTP server (the dev sink). */
describe("the mail sender delivers the outbox over SMTP", () => {
  let database: TestDatabase;
  let db: Database<typeof schema>;
  let dir: string;
  let port: number;
  let sink: MailSink | undefined;
  const senders: MailSender[] = [];
  const refused = new Set<string>();
  const registry = new Registry();
  // No SDK is started here: spans are no-ops that still pass the trace context on.
  const tracer = trace.getTracer("test");
  let next = 0;

  const settings = (): MailSenderSettings => ({
    smtpUrl: `smtp://127.0.0.1:${port}`,
    from: "Acme <no-reply@acme.test>",
    batchSize: 20,
    connections: 2,
    leaseMs: 20_000,
    pollMs: 100,
    retryBaseMs: 100,
    retryMaxMs: 400,
  });
  const startSink = async () => {
    sink = await startMailSink({ dir, port, rejectRecipient: (address) => (refused.has(address) ? "5.1.1 no such user here" : undefined) });
    return sink;
  };
  const queue = async (to: string, overrides: Partial<NewMail> = {}): Promise<NewMail> => {
    const eventId = `event-${++next}-${Date.now()}`;
    const rendered = renderMail("welcome", { to, at: new Date("2026-12-01T10:00:00Z") });
    const mail: NewMail = {
      eventId,
      template: "welcome",
      userId: `user-${next}`,
      toAddress: to,
      subject: rendered.subject,
      textBody: rendered.text,
      htmlBody: rendered.html,
      messageId: `<${eventId}.welcome@notifications.acme.test>`,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      ...overrides,
    };
    await recordMails(db.db, [mail]);
    return mail;
  };
  const row = async (eventId: string) =>
    (
      await db.sql<
        { status: string; attempts: number; last_error: string | null }[]
      >`select status, attempts, last_error from mails where event_id = ${eventId}`
    )[0];
  const inSink = async (messageId: string) => (await sink!.messages()).filter((m) => m.messageId === messageId);

  beforeAll(async () => {
    database = await createTestDatabase("notifications_sender");
    await runMigrations(database.url, MIGRATIONS_FOLDER, "notifications");
    db = openDatabase(database.url, schema, { max: 4 });
    dir = await mkdtemp(join(tmpdir(), "mail-sink-"));
    port = await freePort();
    await startSink();
    senders.push(startMailSender(settings(), { db: db.db, sql: db.sql, logger: createLogger("notifications", "silent"), registry, tracer }));
  });
  afterAll(async () => {
    for (const s of senders) await s.stop();
    await sink?.stop();
    await db?.close();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers a queued mail once, with its stable Message-ID, the event's traceparent, and text and HTML bodies", async () => {
    const mail = await queue("ada@example.com");
    await waitUntil("mail sent", async () => (await row(mail.eventId))?.status === "sent");
    const [received, ...more] = await inSink(mail.messageId);
    expect(more).toEqual([]);
    expect(received).toMatchObject({ to: ["ada@example.com"], from: "no-reply@acme.test", subject: "Welcome to Acme" });
    // The mail names the event's trace (its own span's id where an SDK records spans).
    expect(received!.traceparent?.split("-")[1]).toBe(mail.traceparent!.split("-")[1]);
    expect(received!.text).toContain("your Acme account for ada@example.com is ready");
    expect(received!.html).toContain("<p>your Acme account for ada@example.com is ready.");
  });

  it("puts an address with HTML's special characters in the HTML body as text, escaped", async () => {
    // ' and & are legal in an address (RFC 5322 atext); < and > are not, and never get this far (see mail-plan.ts).
    const mail = await queue("o'brien&co@example.com");
    await waitUntil("mail sent", async () => (await row(mail.eventId))?.status === "sent");
    const [received] = await inSink(mail.messageId);
    expect(received!.to).toEqual(["o'brien&co@example.com"]);
    expect(received!.html).toContain("your Acme account for o&#39;brien&#38;co@example.com is ready");
    expect(received!.text).toContain("your Acme account for o'brien&co@example.com is ready");
  });

  it("marks a mail the server refuses with a 5xx failed with the reason, and never sends it again", async () => {
    refused.add("nobody@example.com");
    const mail = await queue("nobody@example.com");
    await waitUntil("mail failed", async () => (await row(mail.eventId))?.status === "failed");
    expect(await row(mail.eventId)).toMatchObject({ status: "failed", attempts: 1 });
    expect((await row(mail.eventId))?.last_error).toMatch(/550.*no such user here/);
    // The sender went on: a later mail is delivered, and the refused one was not tried again.
    const later = await queue("later@example.com");
    await waitUntil("later mail sent", async () => (await row(later.eventId))?.status === "sent");
    expect((await row(mail.eventId))?.attempts).toBe(1);
    expect(await inSink(mail.messageId)).toEqual([]);
    expect(await registry.getSingleMetricAsString("mails_failed_total")).toMatch(/mails_failed_total\{template="welcome"\} 1/);
  });

  it("keeps mail while the SMTP server is down and delivers it once when it is back", async () => {
    await sink!.stop();
    const mail = await queue("patient@example.com");
    await waitUntil("a failed attempt", async () => ((await row(mail.eventId))?.attempts ?? 0) >= 2);
    expect(await row(mail.eventId)).toMatchObject({ status: "queued" });
    expect((await row(mail.eventId))?.last_error).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);
    await startSink();
    await waitUntil("mail sent", async () => (await row(mail.eventId))?.status === "sent", 20_000);
    expect(await inSink(mail.messageId)).toHaveLength(1);
  });

  it("a second sender on the same outbox never takes a mail the first holds", async () => {
    senders.push(startMailSender(settings(), { db: db.db, sql: db.sql, logger: createLogger("notifications", "silent"), registry: new Registry(), tracer }));
    const queued = await Promise.all(Array.from({ length: 40 }, (_, i) => queue(`many${i}@example.com`)));
    await waitUntil("all sent", async () => (await db.sql`select 1 from mails where status = 'queued'`).length === 0, 20_000);
    const received = await sink!.messages();
    for (const mail of queued) expect(received.filter((m) => m.messageId === mail.messageId)).toHaveLength(1);
  });
});
