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
    for (const bad of ["http://img.example.com/a.png", "ftp://x/y", "//img.example.com/a.png", "data:image/png;base64,AAAA", `https://x.example/${"a".repeat(2_048)}`]) {
      expect(() => validAvatarUrl(bad), bad).toThrow(/^avatar_url: /);
    }
  });
});
