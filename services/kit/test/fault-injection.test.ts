import { describe, expect, it } from "vitest";
import { faultCountSchema, killOnNthCall } from "../src/fault-injection.js";

describe("fault injection seams (test-only, off by default)", () => {
  it("are off when their variable is unset", () => {
    expect(killOnNthCall(faultCountSchema.parse(undefined))).toBeUndefined();
  });

  it("fire once, on the nth call", () => {
    const kills: number[] = [];
    let calls = 0;
    const hook = killOnNthCall(faultCountSchema.parse("3"), () => kills.push(calls))!;
    for (calls = 1; calls <= 5; calls++) hook();
    expect(kills).toEqual([3]);
  });

  it("refuse a count that is not a positive whole number", () => {
    for (const bad of ["0", "-1", "1.5", "soon"]) expect(faultCountSchema.safeParse(bad).success).toBe(false);
  });
});
