import { describe, expect, it } from "vitest";
import { normaliseEmail } from "../../src/domain/email.js";
import { AuthError } from "../../src/domain/errors.js";

describe("normaliseEmail", () => {
  it.each([
    ["  Ada@Example.COM ", "ada@example.com"],
    ["first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"],
  ])("normalises %j to %j", (raw, expected) => {
    expect(normaliseEmail(raw)).toBe(expected);
  });

  it.each([
    "",
    "no-at-sign",
    "@example.com",
    "ada@",
    "ada@localhost",
    "ada@exa mple.com",
    "a da@example.com",
    "ada@example.com'; drop table credentials;--",
    "<script>@example.com",
    "ada@-example.com",
    "ada@example.c",
    "ada\u0000@example.com",
    `${"a".repeat(65)}@example.com`,
  ])("refuses %j with INVALID_EMAIL", (raw) => {
    expect(() => normaliseEmail(raw)).toThrow(AuthError);
    try {
      normaliseEmail(raw);
    } catch (error) {
      expect((error as AuthError).code).toBe("AUTH.INVALID_EMAIL");
    }
  });
});
