import { createTransport, type Transporter } from "nodemailer";
import { Counter, Histogram, type Registry } from "prom-client";
import type { Sql } from "postgres";
import type { Logger } from "@acme/kit/logging";
import { contextFromTraceparent, inSpan, SpanKind, traceparentOf, type Tracer } from "@acme/kit/observability";
import { Wakeup } from "@acme/kit/outbox";
import { claimDueMails, markFailed, markRetry, markSent, MAILS_QUEUED_CHANNEL, type MailDb, type MailKey } from "../db/mail-outbox.js";
import type { MailRow } from "../db/mail-schema.js";
import { classifySmtpFailure, retryDelayMs, type SmtpFailure } from "./smtp-failure.js";
import { writeInRounds } from "./write-rounds.js";

export interface MailSenderSettings {
  /** smtp://host:port (or smtps://user:pass@host) of the mail server; the dev sink by default. */
  smtpUrl: string;
  /** The From address of every mail. */
  from: string;
  /**
   * Claimed mails with the SMTP pool at most (sent over `connections` pooled connections); a claim tops them up
   * once a quarter are answered. Mails answered and waiting for their mark do not count.
   */
  batchSize: number;
  connections: number;
  /** How long a claimed mail is this sender's; a crashed sender's mails come back after it. */
  leaseMs: number;
  /** How often the queue is checked when no NOTIFY came (a hint only). */
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * Mark rounds of their own start at least this far apart, and this long
   * after the last claim that carried marks (100 ms by default): each is a
   * commit, whose database CPU hardly depends on how many mails it marks.
   * While mails flow the claims come more often than that and carry the
   * marks; a crash resends (same Message-ID) the mails accepted in up to
   * this long before it.
   */
  markSpacingMs?: number;
}

const DEFAULT_MARK_SPACING_MS = 100;

export interface MailSenderDeps {
  db: MailDb;
  /** For LISTEN (postgres.js keeps one connection for it). */
  sql: Sql;
  logger: Logger;
  registry: Registry;
  tracer: Tracer;
  /** Test seam: runs after the server accepted a mail, before it is marked sent (the fault suite crashes there). */
  afterAccepted?: (row: MailRow) => void | Promise<void>;
}

export interface MailSender {
  stop(): Promise<void>;
}

/**
 * Delivers the mail outbox over SMTP (nodemailer): claims due mails with a
 * lease, sends each with its stable Message-ID, marks it sent, retries a
 * transient failure with backoff and marks a 5xx failed. At least once: a
 * crash after the server accepted a mail and before it is marked sends it
 * again when the lease runs out, with the same Message-ID, the receiver's
 * dedupe key. It runs beside the event consumer and never blocks it: a mail
 * server that is away only makes mail wait.
 *
 * It keeps the connection pool busy: up to `batchSize` mails are with the
 * SMTP pool at a time, and once a quarter of them are answered the next claim
 * tops them up while the rest are still being sent (a slow SMTP transaction
 * holds one mail, not the other connections; a claim that takes a while has
 * three quarters of a batch to send meanwhile). Accepted mails are marked
 * sent a round at a time, one statement per round (write-rounds.ts), not one
 * per mail. The next claim carries the marks waiting at that moment in its
 * own statement (one commit for both); a round of their own is written only
 * when no claim took them for `markSpacingMs` (at the end of the queue, or
 * while the pool waits on slow answers), and such rounds start at least
 * `markSpacingMs` apart: under load the database commits about one statement
 * per claim, not one per mail.
 */
export function startMailSender(settings: MailSenderSettings, deps: MailSenderDeps): MailSender {
  const log = deps.logger.child({ component: "mail-sender" });
  const metrics = createMailMetrics(deps.registry);
  const transport = createMailTransport(settings);
  const send = (row: MailRow, to: string) => sendMail(transport, settings.from, deps.tracer, row, to);
  const markAccepted = writeInRounds((keys: MailKey[]) => markSent(deps.db, keys), { spacingMs: settings.markSpacingMs ?? DEFAULT_MARK_SPACING_MS });
  const wakeup = new Wakeup();
  let stopped = false;
  deps.sql
    .listen(MAILS_QUEUED_CHANNEL, () => wakeup.poke())
    .catch((error: unknown) => {
      log.warn({ reason: (error as Error).message }, "LISTEN for queued mail failed; polling only");
    });

  /** The SMTP half of a delivery: resolves (never rejects) once the server answered, with the failure if it was one. */
  async function attempt(row: MailRow, to: string): Promise<SmtpFailure | undefined> {
    try {
      await send(row, to);
      return undefined;
    } catch (error) {
      return classifySmtpFailure(error);
    }
  }

  /** The database half: marked sent (with the other mails of its round), to be retried, or failed. */
  async function record(row: MailRow, failure: SmtpFailure | undefined, started: number): Promise<void> {
    if (failure) return recordFailure(row, failure);
    await deps.afterAccepted?.(row);
    await markAccepted(keyOf(row));
    metrics.sent.inc({ template: row.template });
    metrics.duration.observe((performance.now() - started) / 1_000);
  }

  async function recordFailure(row: MailRow, failure: SmtpFailure): Promise<void> {
    if (failure.permanent) {
      await markFailed(deps.db, keyOf(row), failure.reason);
      metrics.failed.inc({ template: row.template });
      log.warn({ messageId: row.messageId, template: row.template, reason: failure.reason }, "the mail server refused the mail for good; marked failed");
      return;
    }
    const delayMs = retryDelayMs(row.attempts, settings.retryBaseMs, settings.retryMaxMs);
    await markRetry(deps.db, keyOf(row), failure.reason, delayMs);
    metrics.retried.inc({ template: row.template });
    log.warn(
      { messageId: row.messageId, template: row.template, attempt: row.attempts, delayMs, reason: failure.reason },
      "mail not delivered; trying again later",
    );
  }

  // Mails handed to the SMTP pool and not yet answered (what the claims top up), and every mail
  // not yet recorded (what stop() waits for). A mail waiting for its round's mark no longer holds
  // a place in the first: a slow statement must not starve the connections.
  const sending = new Set<Promise<unknown>>();
  const inHand = new Set<Promise<void>>();
  function start(row: MailRow): void {
    if (!row.toAddress) {
      track(row, markFailed(deps.db, keyOf(row), "no address"));
      return;
    }
    const started = performance.now();
    const answered = attempt(row, row.toAddress);
    sending.add(answered);
    void answered.then(() => sending.delete(answered));
    track(
      row,
      answered.then((failure) => record(row, failure, started)),
    );
  }
  function track(row: MailRow, work: Promise<void>): void {
    // A mark that fails (database away) leaves the lease to run out: the mail is sent again later.
    const done = work
      .catch((error: unknown) =>
        log.warn({ messageId: row.messageId, reason: (error as Error).message }, "could not record the outcome of a mail; it will be sent again"),
      )
      .finally(() => inHand.delete(done));
    inHand.add(done);
  }

  async function run(): Promise<void> {
    let databaseFailures = 0;
    while (!stopped) {
      // Over three quarters of a batch with the server: wait for an answer before topping up.
      if (sending.size > (settings.batchSize * 3) / 4) {
        await Promise.race(sending);
        continue;
      }
      const wanted = settings.batchSize - sending.size;
      let rows: MailRow[];
      // The marks waiting for their round ride on the claim: one statement and one commit for both.
      const marks = markAccepted.take();
      try {
        rows = await claimDueMails(deps.db, wanted, settings.leaseMs, marks.items);
        marks.written();
        databaseFailures = 0;
      } catch (error) {
        marks.failed(error);
        log.warn({ reason: (error as Error).message }, "cannot read the mail queue; trying again");
        await wakeup.sleep(Math.min(100 * 2 ** databaseFailures++, 5_000));
        continue;
      }
      // Claimed mails are sent even when stop() came meanwhile: they are leased to this sender.
      for (const row of rows) start(row);
      // Fewer than asked: nothing more is due until a NOTIFY or the next poll.
      if (rows.length < wanted) await wakeup.sleep(settings.pollMs);
    }
    // stop() resolves once every mail in hand is answered and recorded (sent, to retry, or failed).
    await Promise.all(inHand);
  }

  const running = run().catch((error: unknown) => log.error({ err: error }, "mail sender stopped unexpectedly"));
  return {
    async stop() {
      stopped = true;
      wakeup.poke();
      await running;
      transport.close();
    },
  };
}

const keyOf = (row: MailRow): MailKey => ({ eventId: row.eventId, template: row.template });

function createMailTransport(settings: MailSenderSettings): Transporter {
  return createTransport({
    url: settings.smtpUrl,
    pool: true,
    maxConnections: settings.connections,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    // Well under the lease: a hung server must not let a second sender take the mail while this one still sends it.
    socketTimeout: Math.min(30_000, settings.leaseMs / 2),
  });
}

/** One mail to the server: a span of the event's trace (its parent is the producer's span the event carried), its traceparent in the mail. */
async function sendMail(transport: Transporter, from: string, tracer: Tracer, row: MailRow, to: string): Promise<void> {
  await inSpan(
    tracer,
    `send mail ${row.template}`,
    {
      kind: SpanKind.CLIENT,
      parent: contextFromTraceparent(row.traceparent),
      attributes: {
        "acme.mail.template": row.template,
        "acme.mail.message_id": row.messageId,
        "acme.mail.attempt": row.attempts,
        "acme.event.id": row.eventId,
      },
    },
    async (span) => {
      const traceparent = traceparentOf(span) ?? row.traceparent;
      await transport.sendMail({
        from,
        to,
        subject: row.subject,
        text: row.textBody ?? "",
        html: row.htmlBody ?? "",
        messageId: row.messageId,
        date: row.createdAt,
        headers: traceparent ? { traceparent } : {},
      });
    },
  );
}

function createMailMetrics(registry: Registry) {
  return {
    sent: new Counter({ name: "mails_sent_total", help: "Mails the SMTP server accepted, by template.", labelNames: ["template"], registers: [registry] }),
    failed: new Counter({
      name: "mails_failed_total",
      help: "Mails the SMTP server refused for good (5xx), by template; never retried.",
      labelNames: ["template"],
      registers: [registry],
    }),
    retried: new Counter({
      name: "mail_send_retries_total",
      help: "Transient send failures (retried with backoff), by template.",
      labelNames: ["template"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "mail_send_duration_seconds",
      help: "Time to hand one mail to the SMTP server.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}
