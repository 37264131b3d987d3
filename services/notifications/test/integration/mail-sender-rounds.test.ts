import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startMailSink, waitUntil, type MailSink } from "@acme/devstack";
import { openDatabase, type Database, runMigrations } from "@acme/kit/db";
import { createLogger } from "@acme/kit/logging";
import { trace } from "@acme/kit/observability";
import { createTestDatabase, type TestDatabase } from "@acme/testing";
import { claimDueMails, eraseMailsOf, markSent, recordMails, type NewMail } from "../../src/db/mail-outbox.js";
import type { MailRow } from "../../src/db/mail-schema.js";
import { schema } from "../../src/db/schema.js";
import { renderMail } from "../../src/domain/templates.js";
import { startMailSender, type MailSenderDeps, type MailSenderSettings } from "../../src/mail/mail-sender.js";
import { MIGRATIONS_FOLDER } from "../../src/migrations.js";

/**
 * The sender's pipelining and its marks in rounds, against a real PostgreSQL
 * and the dev SMTP sink: a mail that is slow between acceptance and marking
 * holds back no other, a round marks exactly the mails the server accepted,
 * and stop() waits for the mails in hand.
 */
describe("the mail sender sends while it marks, and marks in rounds", () => {
  let database: TestDatabase;
  let db: Database<typeof schema>;
  let dir: string;
  let sink: MailSink;
  const refused = new Set<string>();
  let batch = 0;

  const settings = (overrides: Partial<MailSenderSettings> = {}): MailSenderSettings => ({
    smtpUrl: `smtp://127.0.0.1:${sink.port}`,
    from: "Acme <no-reply@acme.test>",
    batchSize: 4,
    connections: 2,
    leaseMs: 20_000,
    pollMs: 100,
    retryBaseMs: 100,
    retryMaxMs: 400,
    ...overrides,
  });
  const deps = (extra: Partial<MailSenderDeps> = {}): MailSenderDeps => ({
    db: db.db,
    sql: db.sql,
    logger: createLogger("notifications", "silent"),
    registry: new Registry(),
    tracer: trace.getTracer("test"),
    ...extra,
  });
  /** A mail to each address, written in one statement (as the consumer writes a batch's mails). */
  const queue = async (addresses: string[]): Promise<NewMail[]> => {
    const run = `b${++batch}-${Date.now()}`;
    const mails = addresses.map((to, i): NewMail => {
      const rendered = renderMail("welcome", { to, at: new Date("2026-12-01T10:00:00Z") });
      return {
        eventId: `${run}-${i}`,
        template: "welcome",
        userId: `${run}-user-${i}`,
        toAddress: to,
        subject: rendered.subject,
        textBody: rendered.text,
        htmlBody: rendered.html,
        messageId: `<${run}-${i}.welcome@notifications.acme.test>`,
        traceparent: null,
      };
    });
    await recordMails(db.db, mails);
    return mails;
  };
  const rowsOf = async (mails: NewMail[]) =>
    db.sql<{ event_id: string; status: string; sent_at: string | null; lease_until: string | null; to_address: string | null; attempts: number }[]>`
      select event_id, status, sent_at, lease_until, to_address, attempts from mails
      where event_id = any(${mails.map((m) => m.eventId)}) order by event_id`;
  const statusOf = async (mails: NewMail[]) => Object.fromEntries((await rowsOf(mails)).map((r) => [r.event_id, r.status]));
  const copiesInSink = async (mail: NewMail) => (await sink.messages()).filter((m) => m.messageId === mail.messageId).length;

  beforeAll(async () => {
    database = await createTestDatabase("notifications_sender_rounds");
    await runMigrations(database.url, MIGRATIONS_FOLDER, "notifications");
    db = openDatabase(database.url, schema, { max: 4 });
    dir = await mkdtemp(join(tmpdir(), "mail-sink-"));
    sink = await startMailSink({ dir, port: await freePort(), rejectRecipient: (address) => (refused.has(address) ? "5.1.1 no such user here" : undefined) });
  });
  afterAll(async () => {
    await sink?.stop();
    await db?.close();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("marks exactly the mails of the round sent, erasing those whose account is gone, and leaves the rest leased", async () => {
    const mails = await queue(["r1@example.com", "r2@example.com", "r3@example.com", "r4@example.com", "r5@example.com"]);
    const claimed = await claimDueMails(db.db, 10, 60_000);
    expect(claimed.map((r) => r.eventId).sort()).toEqual(mails.map((m) => m.eventId).sort());
    await eraseMailsOf(db.db, mails[1]!.userId);
    const accepted = [mails[0]!, mails[1]!, mails[3]!];
    // A key no row has (a mail another sender already finished and pruned) changes nothing.
    await markSent(db.db, [...accepted.map((m) => ({ eventId: m.eventId, template: m.template })), { eventId: "no-such-event", template: "welcome" }]);
    const rows = Object.fromEntries((await rowsOf(mails)).map((r) => [r.event_id, r]));
    for (const mail of accepted) {
      expect(rows[mail.eventId]).toMatchObject({ status: "sent", lease_until: null });
      expect(rows[mail.eventId]!.sent_at).not.toBeNull();
    }
    expect(rows[mails[0]!.eventId]!.to_address).toBe("r1@example.com");
    expect(rows[mails[1]!.eventId]!.to_address).toBeNull(); // its account was deleted while it was queued
    for (const mail of [mails[2]!, mails[4]!]) {
      expect(rows[mail.eventId]).toMatchObject({ status: "queued", sent_at: null });
      expect(rows[mail.eventId]!.lease_until).not.toBeNull(); // still leased to this sender
    }
    await markSent(db.db, []); // nothing to do, no statement
  });

  it("a refused mail in a round is marked failed, and only the accepted ones around it sent", async () => {
    refused.add("gone1@example.com").add("gone2@example.com");
    const addresses = ["a1@example.com", "gone1@example.com", "a2@example.com", "a3@example.com", "gone2@example.com", "a4@example.com", "a5@example.com"];
    const mails = await queue(addresses);
    const sender = startMailSender(settings({ batchSize: 20 }), deps());
    try {
      await waitUntil("every mail answered", async () => Object.values(await statusOf(mails)).every((s) => s !== "queued"));
    } finally {
      await sender.stop();
    }
    const rows = await rowsOf(mails);
    for (const [i, mail] of mails.entries()) {
      const row = rows.find((r) => r.event_id === mail.eventId)!;
      const wasRefused = refused.has(addresses[i]!);
      expect(row, addresses[i]).toMatchObject({ status: wasRefused ? "failed" : "sent", attempts: 1 });
      expect(row.sent_at === null, addresses[i]).toBe(wasRefused);
      expect(await copiesInSink(mail), addresses[i]).toBe(wasRefused ? 0 : 1);
    }
  });

  it("starts each mark round at least markSpacingMs after the one before, and still marks every accepted mail", async () => {
    // The sender's database, noting when each mark statement is built: markSent starts with db.update in the
    // same synchronous step as the round it writes (this test has no retries or failures, the other updates).
    const markStarts: number[] = [];
    const noting = new Proxy(db.db, {
      get: (target, property) => {
        if (property !== "update") return Reflect.get(target, property);
        return (...args: Parameters<typeof target.update>) => {
          markStarts.push(performance.now());
          return target.update(...args);
        };
      },
    });
    const mails = await queue(Array.from({ length: 16 }, (_, i) => `spaced${i}@example.com`));
    const sender = startMailSender(settings({ batchSize: 8, markSpacingMs: 150 }), deps({ db: noting }));
    try {
      await waitUntil("every mail marked sent", async () => Object.values(await statusOf(mails)).every((s) => s === "sent"));
    } finally {
      await sender.stop();
    }
    // Two connections cannot have all 16 answered in one turn of the event loop: the first mail is marked alone, the rest later.
    expect(markStarts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < markStarts.length; i++) expect(markStarts[i]! - markStarts[i - 1]!).toBeGreaterThanOrEqual(150);
    for (const mail of mails) expect(await copiesInSink(mail)).toBe(1);
  });

  it("a mail held between acceptance and marking holds back no other mail, and stop() waits until it is marked", async () => {
    let held: MailRow | undefined;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const afterAccepted = async (row: MailRow) => {
      if (held) return;
      held = row;
      await gate;
    };
    // Three batches' worth: with a batch waiting for its slowest mail, the mails after the held one's batch would wait too.
    const mails = await queue(Array.from({ length: 12 }, (_, i) => `held${i}@example.com`));
    const sender = startMailSender(settings({ batchSize: 4 }), deps({ afterAccepted }));
    let stopped = false;
    try {
      await waitUntil("all but the held mail sent", async () => {
        const status = await statusOf(mails);
        return held !== undefined && mails.filter((m) => status[m.eventId] === "sent").length === mails.length - 1;
      });
      expect((await statusOf(mails))[held!.eventId]).toBe("queued");
      const stopping = sender.stop().then(() => (stopped = true));
      // Give stop() every chance to return early: it must not while a mail it holds is unmarked.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stopped).toBe(false);
      release();
      await stopping;
    } finally {
      release();
      if (!stopped) await sender.stop();
    }
    expect((await statusOf(mails))[held!.eventId]).toBe("sent");
    for (const mail of mails) expect(await copiesInSink(mail)).toBe(1);
  });
});
