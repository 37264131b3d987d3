import { describe, expect, it } from "vitest";
import { normaliseEmail } from "../../src/domain/email.js";
import { checkNewPassword } from "../../src/domain/password.js";

describe("new passwords", () => {
  it.each(["password", "Password123!", "iloveyou2", "qwertyuiop", "12345678", "sunshine"])("refuses the common password %j, saying why", (password) => {
    expect(() => checkNewPassword(password)).toThrow("password is too common: it is on a list of passwords that attackers try first; choose another");
  });

  it.each(["correct horse battery staple", "hunter2-but-longer-and-unique-7f3a", "cafe\u0301 au lait, s'il vous plait"])("accepts %j", (password) => {
    expect(() => checkNewPassword(password)).not.toThrow();
  });

  it("counts length after NFC normalisation: seven composed letters typed decomposed are still seven", () => {
    const sevenDecomposed = "e\u0301".repeat(7); // 14 code points, 7 characters once composed
    expect(() => checkNewPassword(sevenDecomposed)).toThrow("password must be at least 8 characters");
  });
});

describe("emails: NFC, and no control or invisible formatting characters", () => {
  it("NFC-normalises: the same address typed composed or decomposed is one account", () => {
    expect(normaliseEmail("jose\u0301@example.com")).toBe(normaliseEmail("jos\u00e9@example.com"));
  });

  it.each([
    ["NUL", "ada\u0000@example.com"],
    ["zero-width space", "ad\u200Ba@example.com"],
    ["zero-width joiner", "ad\u200Da@example.com"],
    ["right-to-left override", "ada\u202E@example.com"],
    ["right-to-left isolate", "\u2067ada@example.com"],
    ["soft hyphen", "ad\u00ADa@example.com"],
    ["byte order mark", "ada\uFEFF@example.com"],
    ["line separator", "ada\u2028@example.com"],
  ])("refuses a %s", (_name, email) => {
    expect(() => normaliseEmail(email)).toThrow("email must not contain control characters or invisible formatting characters (zero-width, bidirectional)");
  });
});
