import { getHeapSpaceStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { exposedGc, IdleDetector, releaseMemory } from "../src/idle-memory.js";

const rule = { checkEveryMs: 5_000, quietAfterMs: 15_000, busyCpuShare: 0.02 };
const BUSY = 500_000; // 500 ms of CPU in a 5 s sample: 10%
const QUIET = 20_000; // 20 ms: 0.4%

describe("IdleDetector", () => {
  it("releases once when quiet has lasted quietAfterMs after activity (starting counts as activity), and again only after new activity", () => {
    const detector = new IdleDetector(rule);
    const quiet = () => detector.sample(QUIET, rule.checkEveryMs);
    expect([quiet(), quiet(), quiet()]).toEqual([false, false, true]);
    expect([quiet(), quiet(), quiet(), quiet()]).toEqual([false, false, false, false]);
    expect(detector.sample(BUSY, rule.checkEveryMs)).toBe(false);
    expect([quiet(), quiet(), quiet()]).toEqual([false, false, true]);
  });

  it("restarts the quiet period at any busy sample, the threshold included", () => {
    const detector = new IdleDetector(rule);
    const atThreshold = 0.02 * rule.checkEveryMs * 1_000;
    expect(detector.sample(QUIET, rule.checkEveryMs)).toBe(false);
    expect(detector.sample(QUIET, rule.checkEveryMs)).toBe(false);
    expect(detector.sample(atThreshold, rule.checkEveryMs)).toBe(false);
    expect(detector.sample(QUIET, rule.checkEveryMs)).toBe(false);
    expect(detector.sample(QUIET, rule.checkEveryMs)).toBe(false);
    expect(detector.sample(atThreshold - 1, rule.checkEveryMs)).toBe(true);
  });
});

describe("releaseMemory", () => {
  it("reaches V8's gc() without --expose-gc and shrinks a young generation a load has grown", () => {
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space")!.space_size;
    let kept: { i: number; s: string }[] = [];
    for (let i = 0; i < 2_000_000; i++) {
      kept.push({ i, s: `x${i}` });
      if (kept.length > 50_000) kept = [];
    }
    const grown = newSpace();
    expect(grown).toBeGreaterThan(2 * 1_048_576);
    const released = releaseMemory(exposedGc());
    expect(newSpace()).toBeLessThan(grown);
    expect(released.ms).toBeGreaterThan(0);
    expect(released.rssBeforeMb).toBeGreaterThan(0);
    expect(kept.length).toBeLessThanOrEqual(50_001);
    expect("gc" in globalThis).toBe(false);
  });
});
