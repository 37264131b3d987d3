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
