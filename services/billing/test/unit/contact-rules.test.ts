import { describe, expect, it } from "vitest";
import { validAddress, validBillingEmail } from "../../src/domain/contact-rules.js";

const address = { line1: " 1 Main Street ", line2: "", city: "Berlin", postalCode: "10115", countryCode: "de" };

describe("billing contact rules", () => {
  it("trims the address and upper-cases an assigned country code", () => {
    expect(validAddress(address)).toEqual({ ...address, line1: "1 Main Street", countryCode: "DE" });
    expect(validAddress({ ...address, countryCode: "GB", postalCode: "SW1A 1AA" }).postalCode).toBe("SW1A 1AA");
  });

  it.each(["UK", "EU", "ZZ", "D", "1A"])("refuses %s as a country code", (code) => {
    expect(() => validAddress({ ...address, countryCode: code })).toThrow(/^address.country_code: /);
  });

  it("treats an empty billing email as 'follow the account email'", () => {
    expect(validBillingEmail("  ")).toBeNull();
    expect(validBillingEmail(" invoices@corp.example ")).toBe("invoices@corp.example");
    expect(() => validBillingEmail("a@b")).toThrow(/^billing_email: /);
  });
});

describe("billing contact rules: invisible and control characters (issue 13)", () => {
  it.each([
    ["NUL", "inv\u0000oices@example.com", "billing_email: must not contain control characters"],
    ["a line feed", "invoices@example.com\nBcc: x@example.com", "billing_email: must not contain control characters"],
    ["a zero-width space", "inv\u200Boices@example.com", "billing_email: must not contain invisible formatting characters (zero-width, bidirectional)"],
    ["a right-to-left override", "invoices\u202E@example.com", "billing_email: must not contain invisible formatting characters (zero-width, bidirectional)"],
  ])("refuses a billing email with %s, naming the field", (_name, email, message) => {
    expect(() => validBillingEmail(email)).toThrow(message);
  });

  it.each([
    ["line1", "address.line1"],
    ["line2", "address.line2"],
    ["city", "address.city"],
  ] as const)("refuses NUL and bidirectional overrides in %s, naming the field", (key, field) => {
    expect(() => validAddress({ ...address, [key]: "Main\u0000Street" })).toThrow(`${field}: must not contain control characters`);
    expect(() => validAddress({ ...address, [key]: "Main \u202Eteerts" })).toThrow(`${field}: must not contain bidirectional control characters`);
  });

  it("NFC-normalises and counts length after normalisation", () => {
    const decomposed = "Mu\u0308nchen"; // u + combining diaeresis
    expect(validAddress({ ...address, city: decomposed }).city).toBe("M\u00fcnchen");
    expect(validAddress({ ...address, line1: "e\u0301".repeat(100) }).line1).toHaveLength(100); // 200 code points typed, 100 characters
  });
});
