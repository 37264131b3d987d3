import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "@acme/devstack";
import { DLQ } from "@acme/kit/consumer";
import { NotificationStatus } from "@acme/gen/acme/notifications/v1/notification_service_pb";
import { NotificationsAdminService } from "@acme/gen/acme/admin/v1/notifications_admin_pb";
import { DeadLetterService } from "@acme/gen/acme/admin/v1/consumer_admin_pb";
import type { RunningNotificationsService } from "../../src/service.js";
import { notificationsFixture, type NotificationsFixture } from "../support/notifications-fixture.js";

/** From auth's events to .eml files in a real SMTP server, through real PostgreSQL and nats-server. */
describe("notifications mails what happened to an account", () => {
  let f: NotificationsFixture;
  let service: RunningNotificationsService;
  const id = (eventId: string, template: string) => `<${eventId}.${template}@notifications.acme.test>`;
  const mailRows = (userId: string) =>
    f.sql<{ template: string; status: string; to_address: string | null; text_body: string | null }[]>`
      select template, status, to_address, text_body from mails where user_id = ${userId} order by created_at, template`;
  const settled = () =>
    waitUntil("every event applied and acked", async () => {
      const info = await f.jsm.consumers.info(f.config.AUTH_EVENTS_STREAM, f.config.CONSUMER_NAME);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });

  beforeAll(async () => {
    f = await notificationsFixture("notifications_events");
    service = await f.start();
  });
  afterAll(() => f?.close());

  it("a registration sends a welcome to the address, as an .eml with the event's stable Message-ID", async () => {
    const userId = f.newUserId();
    const event = await f.auth.registered(userId, "ada@example.com");
    const [mail, ...copies] = await f.mailWithId(id(event.id, "welcome"));
    expect(copies).toEqual([]);
    expect(mail).toMatchObject({ to: ["ada@example.com"], subject: "Welcome to Acme" });
    expect(mail!.text).toContain("your Acme account for ada@example.com is ready");
    expect(mail!.html).toContain("<p>your Acme account for ada@example.com is ready.");
  });

  it("an email change: a security notice to the OLD address (new one masked, with the time), a confirmation to the new one", async () => {
    const userId = f.newUserId();
    await f.auth.registered(userId, "old@example.com");
    const change = await f.auth.emailChanged(userId, "nadia@example.com", 2);
    const [notice] = await f.mailWithId(id(change.id, "email-changed-notice"));
    const [confirmation] = await f.mailWithId(id(change.id, "email-changed-confirmation"));
    expect(notice).toMatchObject({ to: ["old@example.com"], subject: "The email address of your Acme account was changed" });
    expect(notice!.text).toMatch(/was changed to n\*\*\*@example\.com at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(notice!.text + notice!.html).not.toContain("nadia@");
    expect(confirmation).toMatchObject({ to: ["nadia@example.com"], subject: "Your Acme account now uses this address" });
  });

  it("out of order: a change that overtook its registration waits for it, then warns the registered address; a late older change sends nothing", async () => {
    const userId = f.newUserId();
    const change = await f.auth.emailChanged(userId, "second@example.com", 2); // before its registration
    const registration = await f.auth.registered(userId, "first@example.com");
    const [notice] = await f.mailWithId(id(change.id, "email-changed-notice"));
    expect(notice!.to).toEqual(["first@example.com"]);
    await f.mailWithId(id(registration.id, "welcome"));
    const fourth = await f.auth.emailChanged(userId, "fourth@example.com", 4);
    const [latest] = await f.mailWithId(id(fourth.id, "email-changed-notice"));
    expect(latest!.to).toEqual(["second@example.com"]);
    const third = await f.auth.emailChanged(userId, "third@example.com", 3); // older than the one applied: no mail
    await settled();
    expect((await f.sink().messages()).filter((m) => m.messageId.startsWith(`<${third.id}.`))).toEqual([]);
    expect((await mailRows(userId)).map((r) => r.template).sort()).toEqual([
      "email-changed-confirmation",
      "email-changed-confirmation",
      "email-changed-notice",
      "email-changed-notice",
      "welcome",
    ]);
  });

  it("a deletion: a goodbye to the last address, then the personal data is erased; a late event sends nothing", async () => {
    const userId = f.newUserId();
    // Applied before the deletion is published: batches run side by side, so events published
    // back to back may be applied in either order (a deletion first leaves nobody to say goodbye to).
    await f.mailWithId(id((await f.auth.registered(userId, "leaving@example.com")).id, "welcome"));
    const deletion = await f.auth.deleted(userId, 2);
    const [goodbye] = await f.mailWithId(id(deletion.id, "goodbye"));
    expect(goodbye).toMatchObject({ to: ["leaving@example.com"], subject: "Your Acme account has been deleted" });
    await waitUntil("erased", async () => (await mailRows(userId)).every((r) => r.status === "sent" && r.to_address === null && r.text_body === null));
    expect(await f.sql`select 1 from account_emails where user_id = ${userId}`).toEqual([]);
    expect(await f.sql`select 1 from user_tombstones where user_id = ${userId}`).toHaveLength(1);
    await f.auth.emailChanged(userId, "back@example.com", 3);
    await settled();
    expect(await mailRows(userId)).toHaveLength(2);
    expect(await f.sql`select 1 from mails where to_address like '%leaving%' or text_body like '%leaving%' or html_body like '%leaving%'`).toEqual([]);
  });

  it("a redelivered event sends nothing more (one mail per event and template)", async () => {
    const userId = f.newUserId();
    const first = await f.auth.registered(userId, "twice@example.com");
    await f.auth.registered(userId, "twice@example.com", { id: first.id, natsMsgId: `${first.id}/again` });
    await f.mailWithId(id(first.id, "welcome"));
    await settled();
    expect(await mailRows(userId)).toHaveLength(1);
    expect((await f.sink().messages()).filter((m) => m.messageId === id(first.id, "welcome"))).toHaveLength(1);
  });

  it("an event with no usable address goes to the dead-letter stream with its reason, and later events still apply", async () => {
    const bad = await f.auth.registered(f.newUserId(), "<script>alert(1)</script>@example.com");
    const later = await f.auth.registered(f.newUserId(), "later@example.com");
    await f.mailWithId(id(later.id, "welcome"));
    await waitUntil("dead letter", async () => (await f.jsm.streams.info(f.config.DLQ_STREAM).catch(() => undefined))?.state.messages === 1);
    const dead = await f.jsm.streams.getMessage(f.config.DLQ_STREAM, { seq: 1 });
    expect(dead?.header.get("ce-id")).toBe(bad.id);
    expect(dead?.header.get(DLQ.reason)).toBe("invalid-event");
    expect(dead?.header.get(DLQ.error)).toMatch(/UserRegistered.email .* is not an address mail can be sent to/);
    // The same, as an operator sees it on the admin port (kit's dead-letter service, for free).
    const listed = await f.admin(service, DeadLetterService).listDeadLetters({});
    expect(listed.deadLetters.map((l) => [l.eventId, l.reason])).toEqual([[bad.id, "invalid-event"]]);
  });

  it("with the mail server down, events are still applied and mail waits; when it is back, each mail arrives once", async () => {
    await f.stopSink();
    const userId = f.newUserId();
    const event = await f.auth.registered(userId, "patient@example.com");
    await waitUntil("applied while the mail server is down", async () => (await f.sql`select 1 from account_emails where user_id = ${userId}`).length === 1);
    await waitUntil(
      "a failed attempt",
      async () => (await f.sql`select 1 from mails where user_id = ${userId} and attempts >= 1 and status = 'queued'`).length === 1,
    );
    const waiting = await f.admin(service, NotificationsAdminService).getMailQueueStatus({});
    expect(waiting.queued).toBeGreaterThanOrEqual(1n);
    expect(waiting.oldestQueuedAge).toBeDefined();
    await f.startSink();
    expect(await f.mailWithId(id(event.id, "welcome"))).toHaveLength(1);
    await waitUntil("the queue drained", async () => (await f.admin(service, NotificationsAdminService).getMailQueueStatus({})).queued === 0n);
    expect((await f.admin(service, NotificationsAdminService).getMailQueueStatus({})).failed).toBe(0n);
  });

  it("ListMyNotifications: the caller's own mails with subject, time and status, masked; nobody else's", async () => {
    const userId = f.newUserId();
    const registration = await f.auth.registered(userId, "reader@example.com");
    await f.mailWithId(id(registration.id, "welcome"));
    await waitUntil("marked sent", async () => (await mailRows(userId))[0]?.status === "sent");
    const own = await f.client(service, await f.tokens.token(userId)).listMyNotifications({});
    expect(own.notifications).toHaveLength(1);
    expect(own.notifications[0]).toMatchObject({
      messageId: id(registration.id, "welcome"),
      template: "welcome",
      subject: "Welcome to Acme",
      to: "r***@example.com",
      status: NotificationStatus.SENT,
    });
    expect(own.notifications[0]!.sentAt).toBeDefined();
    const stranger = await f.client(service, await f.tokens.token(f.newUserId())).listMyNotifications({});
    expect(stranger.notifications).toEqual([]);
    await expect(f.client(service, "not-a-token").listMyNotifications({})).rejects.toThrow(/unauthenticated|token/i);
  });
});
