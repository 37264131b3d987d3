import { describe, expect, it } from "vitest";
import { planMails, PreviousAddressUnknown, UnusableAddress, usableAddress, type Before } from "../../src/domain/mail-plan.js";

const at = new Date("2026-12-01T12:00:00Z");
const present = (accountEmail: string, revision: number): Before => ({ kind: "present", record: { accountEmail, revision } });
const templatesTo = (mails: ReturnType<typeof planMails>) => mails.map((m) => [m.template, m.facts.to]);

describe("which mails an applied event sends", () => {
  it("a registration: a welcome to its address", () => {
    expect(templatesTo(planMails({ type: "UserRegistered", fact: { email: "ada@example.com", revision: 1, at }, before: { kind: "absent" } }))).toEqual([
      ["welcome", "ada@example.com"],
    ]);
  });

  it("an email change: the notice to the address current before it, the confirmation to the new one", () => {
    const mails = planMails({ type: "UserEmailChanged", fact: { email: "new@example.com", revision: 3, at }, before: present("old@example.com", 2) });
    expect(templatesTo(mails)).toEqual([
      ["email-changed-notice", "old@example.com"],
      ["email-changed-confirmation", "new@example.com"],
    ]);
    expect(mails[0]!.facts.newEmail).toBe("new@example.com");
  });

  it("a revision older than (or as old as) the one applied sends nothing", () => {
    expect(planMails({ type: "UserEmailChanged", fact: { email: "older@example.com", revision: 2, at }, before: present("newer@example.com", 3) })).toEqual([]);
    expect(planMails({ type: "UserEmailChanged", fact: { email: "same@example.com", revision: 3, at }, before: present("same@example.com", 3) })).toEqual([]);
    expect(planMails({ type: "UserRegistered", fact: { email: "late@example.com", revision: 1, at }, before: present("new@example.com", 2) })).toEqual([]);
  });

  it("nothing after a deletion", () => {
    const deleted: Before = { kind: "deleted", revision: 4 };
    expect(planMails({ type: "UserRegistered", fact: { email: "late@example.com", revision: 1, at }, before: deleted })).toEqual([]);
    expect(planMails({ type: "UserDeleted", fact: { revision: 5, at }, before: deleted })).toEqual([]);
  });

  it("a deletion: a goodbye to the last known address; none for a user never seen", () => {
    expect(templatesTo(planMails({ type: "UserDeleted", fact: { revision: 3, at }, before: present("last@example.com", 2) }))).toEqual([
      ["goodbye", "last@example.com"],
    ]);
    expect(planMails({ type: "UserDeleted", fact: { revision: 3, at }, before: { kind: "absent" } })).toEqual([]);
  });

  it("an email change before its registration waits (retryable), since the old address is not known yet", () => {
    expect(() => planMails({ type: "UserEmailChanged", fact: { email: "new@example.com", revision: 2, at }, before: { kind: "absent" } })).toThrow(
      PreviousAddressUnknown,
    );
  });

  it("an address no SMTP server takes is refused (events/ dead-letters such an event with the reason)", () => {
    for (const bad of [
      "<script>alert(1)</script>@example.com",
      "a b@example.com",
      "a@b",
      '"q"@example.com',
      "x@example.com\r\nBcc: y@example.com",
      "@example.com",
    ]) {
      expect(() => usableAddress(bad, "UserRegistered"), bad).toThrow(UnusableAddress);
    }
    expect(() => planMails({ type: "UserRegistered", fact: { email: "<b>@example.com", revision: 1, at }, before: { kind: "absent" } })).toThrow(
      /not an address mail can be sent to/,
    );
    for (const good of ["ada@example.com", "o'brien&co@example.com", "a.b+tag@mail.example.co.uk"]) expect(usableAddress(good, "UserRegistered")).toBe(good);
  });
});
