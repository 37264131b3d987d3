import { describe, expect, it } from "vitest";
import { ProfileError } from "../../src/domain/errors.js";
import { validAvatarUrl, validDisplayName } from "../../src/domain/profile-rules.js";

describe("profile rules", () => {
  it("trims a display name and counts characters, not bytes", () => {
    expect(validDisplayName("  Zoë  ")).toBe("Zoë");
    expect(validDisplayName("😀".repeat(64))).toHaveLength(128);
    expect(() => validDisplayName("😀".repeat(65))).toThrow(ProfileError);
  });

  it("accepts https avatars and '' (no avatar) only", () => {
    expect(validAvatarUrl("https://img.example.com/a.png")).toBe("https://img.example.com/a.png");
    expect(validAvatarUrl(" ")).toBe("");
    for (const bad of [
      "http://img.example.com/a.png",
      "ftp://x/y",
      "//img.example.com/a.png",
      "data:image/png;base64,AAAA",
      `https://x.example/${"a".repeat(2_048)}`,
    ]) {
      expect(() => validAvatarUrl(bad), bad).toThrow(/^avatar_url: /);
    }
  });
});

describe("profile rules: invisible and control characters (issue 13)", () => {
  it.each([
    ["NUL", "Ada\u0000", "display_name: must not contain control characters"],
    ["an escape", "Ada\u001b[31m", "display_name: must not contain control characters"],
    ["a right-to-left override", "Ada\u202Eecalevol", "display_name: must not contain bidirectional control characters"],
    ["a left-to-right isolate", "\u2066Ada", "display_name: must not contain bidirectional control characters"],
  ])("refuses a display name with %s, naming the field", (_name, value, message) => {
    expect(() => validDisplayName(value)).toThrow(message);
  });

  it("keeps zero-width joiners (emoji sequences need them), NFC-normalises and counts after normalisation", () => {
    expect(validDisplayName("👩\u200D💻 Ada")).toBe("👩\u200D💻 Ada");
    expect(validDisplayName("Zoe\u0308")).toBe("Zo\u00eb");
    expect(validDisplayName("e\u0301".repeat(64))).toBe("\u00e9".repeat(64)); // 128 code points typed, 64 characters
  });
});
