import { describe, expect, it } from "vitest";
import { coalesce } from "../src/db/coalesce.js";

describe("coalesce", () => {
  it("turns calls made in the same turn into one call, each caller getting its own answer", async () => {
    const rounds: number[][] = [];
    const double = coalesce(async (inputs: number[]) => {
      rounds.push(inputs);
      return inputs.map((n) => n * 2);
    });
    expect(await Promise.all([double(1), double(2), double(3)])).toEqual([2, 4, 6]);
    expect(await double(4)).toBe(8);
    expect(rounds).toEqual([[1, 2, 3], [4]]);
  });

  it("fails every caller of a round when the call fails, and the next round is fresh", async () => {
    let fail = true;
    const echo = coalesce(async (inputs: string[]) => {
      if (fail) throw new Error("boom");
      return inputs;
    });
    const results = await Promise.allSettled([echo("a"), echo("b")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await echo("c")).toBe("c");
  });
});
