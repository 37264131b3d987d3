/**
 * notifications' mail sender draining a pre-filled mail outbox into the dev
 * SMTP sink (claim with a lease, send over pooled connections, mark sent),
 * against nodemailer sending the same mails to the same sink with the same
 * pool alone, measured in the same run: three rounds, alternating which side
 * goes first, medians (figure N1).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTransport } from "nodemailer";
import { Registry } from "prom-client";
import { freePort, startMailSink } from "@acme/devstack";
import { openDatabase, runMigrations } from "@acme/kit/db";
import { createLogger } from "@acme/kit/logging";
import { trace } from "@acme/kit/observability";
import { recordMails, type NewMail } from "../services/notifications/src/db/mail-outbox.js";
import { schema } from "../services/notifications/src/db/schema.js";
import { renderMail } from "../services/notifications/src/domain/templates.js";
import { startMailSender } from "../services/notifications/src/mail/mail-sender.js";
import { MIGRATIONS_FOLDER } from "../services/notifications/src/migrations.js";
import { recordFigure } from "./report/results.js";
import { median, report, startBenchInfra } from "./support/infra.js";

const MAILS = Number(process.env.BENCH_MAILS ?? 2_000);
const CONNECTIONS = 4;
const ROUNDS = 3;
const rendered = renderMail("welcome", { to: "bench@example.com", at: new Date() });
const mail = (i: number, run: string): NewMail => ({
  eventId: `${run}-${i}`,
  template: "welcome",
  userId: `user-${i}`,
  toAddress: `user${i}@example.com`,
  subject: rendered.subject,
  textBody: rendered.text,
  htmlBody: rendered.html,
  messageId: `<${run}-${i}.welcome@bench.acme.example>`,
  traceparent: null,
});

/** mails_sent_total over all templates. */
async function sentSoFar(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric("mails_sent_total")?.get();
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
}

const infra = await startBenchInfra();
const dir = await mkdtemp(join(tmpdir(), "bench-mail-"));
const sink = await startMailSink({ dir, port: await freePort() });
const smtpUrl = `smtp://127.0.0.1:${sink.port}`;
try {
  // Baseline: nodemailer alone, the same pool, the same mails, CONNECTIONS * 4 in flight.
  async function nodemailerRate(run: string): Promise<number> {
    const transport = createTransport({ url: smtpUrl, pool: true, maxConnections: CONNECTIONS });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS * 4 }, async () => {
        while (next < MAILS) {
          const m = mail(next++, run);
          await transport.sendMail({
            from: "bench@acme.example",
            to: m.toAddress!,
            subject: m.subject,
            text: m.textBody!,
            html: m.htmlBody!,
            messageId: m.messageId,
          });
        }
      }),
    );
    const perSecond = MAILS / ((performance.now() - started) / 1000);
    transport.close();
    return perSecond;
  }

  // The sender: the outbox pre-filled, then drained.
  async function senderRate(run: string): Promise<number> {
    const url = await infra.createDatabase(`bench_notifications_${run}`);
    await runMigrations(url, MIGRATIONS_FOLDER, "notifications");
    const db = openDatabase(url, schema, { max: 4 });
    for (let i = 0; i < MAILS; i += 500)
      await recordMails(
        db.db,
        Array.from({ length: Math.min(500, MAILS - i) }, (_, j) => mail(i + j, run)),
      );
    const registry = new Registry();
    const started = performance.now();
    const sender = startMailSender(
      { smtpUrl, from: "bench@acme.example", batchSize: 100, connections: CONNECTIONS, leaseMs: 60_000, pollMs: 50, retryBaseMs: 1_000, retryMaxMs: 10_000 },
      { db: db.db, sql: db.sql, logger: createLogger("bench", "warn"), registry, tracer: trace.getTracer("bench") },
    );
    // Done when the sender counted every mail sent, which it does once the mail's mark committed. Asking
    // PostgreSQL instead (a count of queued mails every 20 ms) cost the database 0.2-0.6 ms of CPU a query,
    // on the cores the sink and the sender share, and the baseline pays for no such probe.
    while ((await sentSoFar(registry)) < MAILS) await new Promise((resolve) => setTimeout(resolve, 5));
    const perSecond = MAILS / ((performance.now() - started) / 1000);
    await sender.stop();
    const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from mails where status <> 'sent'`;
    await db.close();
    if (left?.n !== 0) throw new Error(`the sender counted ${MAILS} mails sent, but ${left?.n} rows are not marked sent`);
    return perSecond;
  }

  const raw: number[] = [];
  const outbox: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first.
    const first = round % 2 === 0;
    if (first) raw.push(await nodemailerRate(`raw${round}`));
    outbox.push(await senderRate(`outbox${round}`));
    if (!first) raw.push(await nodemailerRate(`raw${round}`));
    console.log(`round ${round + 1}/${ROUNDS}: nodemailer alone ${raw[round]!.toFixed(0)} mails/s, notifications' sender ${outbox[round]!.toFixed(0)} mails/s`);
  }
  report(`mail outbox -> SMTP sink (${MAILS} mails, ${CONNECTIONS} connections)`, median(outbox), median(raw), "mails/s");
  recordFigure("N1", median(outbox), median(raw));
} finally {
  await sink.stop();
  await rm(dir, { recursive: true, force: true });
  await infra.stop();
}
