import { describe, expect, it } from "vitest";
import { escapeHtml, formatTime, maskAddress, renderMail, TEMPLATES } from "../../src/domain/templates.js";

const at = new Date("2026-12-01T18:47:12Z");

describe("mail templates", () => {
  it("masks the new address to its first character and its domain", () => {
    expect(maskAddress("nadia@example.com")).toBe("n***@example.com");
    expect(maskAddress("x@example.com")).toBe("x***@example.com");
  });

  it("says when, in UTC", () => {
    expect(formatTime(at)).toBe("2026-12-01 18:47 UTC");
  });

  it("the notice to the old address names the masked new address and the time, never the full new address", () => {
    const mail = renderMail("email-changed-notice", { to: "old@example.com", newEmail: "nadia@example.com", at });
    expect(mail.subject).toBe("The email address of your Acme account was changed");
    expect(mail.text).toContain("was changed to n***@example.com at 2026-12-01 18:47 UTC");
    expect(mail.text).toContain("If this wasn't you");
    expect(mail.text + mail.html).not.toContain("nadia@");
  });

  it("never renders a value as markup, whatever it holds", () => {
    const hostile = "<script>alert(1)</script>@example.com";
    for (const template of TEMPLATES) {
      const mail = renderMail(template, { to: hostile, newEmail: hostile, at });
      expect(mail.html).not.toMatch(/<script|<\/script/);
    }
    expect(renderMail("welcome", { to: hostile, at }).html).toContain("&#60;script&#62;alert(1)&#60;/script&#62;@example.com");
    expect(renderMail("welcome", { to: hostile, at }).text).toContain(hostile);
    expect(escapeHtml(`&<>"'`)).toBe("&#38;&#60;&#62;&#34;&#39;");
  });

  it("every template has a subject, a text body and an HTML body", () => {
    for (const template of TEMPLATES) {
      const mail = renderMail(template, { to: "a@example.com", newEmail: "b@example.com", at });
      expect(mail.subject).not.toBe("");
      expect(mail.text).toMatch(/^Hello,\n\n/);
      expect(mail.html).toMatch(/^<!doctype html>/);
    }
  });
});
