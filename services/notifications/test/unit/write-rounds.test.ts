import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeInRounds } from "../../src/mail/write-rounds.js";

/** A write that records each round and finishes only when the test says so. */
function heldWrites() {
  const rounds: string[][] = [];
  const finish: Array<(error?: Error) => void> = [];
  const write = (items: string[]) =>
    new Promise<void>((resolve, reject) => {
      rounds.push(items);
      finish.push((error) => (error ? reject(error) : resolve()));
    });
  return { rounds, finish, write };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe("writes in rounds (one write at a time, the items that came meanwhile together)", () => {
  it("writes a lone item at once, then everything that arrived while it ran as one round", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write);
    const a = mark("a");
    await new Promise((resolve) => setImmediate(resolve));
    expect(rounds).toEqual([["a"]]);
    const b = mark("b");
    const c = mark("c");
    await new Promise((resolve) => setImmediate(resolve));
    // One write at a time: b and c wait for a's round.
    expect(rounds).toEqual([["a"]]);
    expect(await settled(b)).toBe(false);
    finish[0]!();
    await a;
    await new Promise((resolve) => setImmediate(resolve));
    expect(rounds).toEqual([["a"], ["b", "c"]]);
    expect(await settled(b)).toBe(false);
    finish[1]!();
    await Promise.all([b, c]);
  });

  it("items that arrive in the same turn start together", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write);
    const all = ["x", "y", "z"].map(mark);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rounds).toEqual([["x", "y", "z"]]);
    finish[0]!();
    await Promise.all(all);
  });

  it("a failed round fails exactly its own callers, and the next round is written", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write);
    const a = mark("a");
    await new Promise((resolve) => setImmediate(resolve));
    const b = mark("b");
    finish[0]!(new Error("database away"));
    await expect(a).rejects.toThrow("database away");
    await new Promise((resolve) => setImmediate(resolve));
    expect(rounds).toEqual([["a"], ["b"]]);
    finish[1]!();
    await expect(b).resolves.toBeUndefined();
    // And once idle, a new item starts a new round.
    const c = mark("c");
    await new Promise((resolve) => setImmediate(resolve));
    expect(rounds).toEqual([["a"], ["b"], ["c"]]);
    finish[2]!();
    await c;
  });
});

describe("rounds with a spacing (a round starts at least spacingMs after the previous one started)", () => {
  // Fake timers (setImmediate, setTimeout and performance.now): the spacing is checked to the millisecond, whatever the machine's speed.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("holds the next round until the spacing has passed since the last one started, and takes everything that came meanwhile", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write, { spacingMs: 50 });
    const a = mark("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(rounds).toEqual([["a"]]);
    await vi.advanceTimersByTimeAsync(10);
    finish[0]!();
    await a;
    const b = mark("b");
    let bSettled = false;
    void b.finally(() => (bSettled = true));
    await vi.advanceTimersByTimeAsync(20);
    const c = mark("c");
    await vi.advanceTimersByTimeAsync(19);
    // 49 ms after a's round started: b and c still wait.
    expect(rounds).toEqual([["a"]]);
    expect(bSettled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(rounds).toEqual([["a"], ["b", "c"]]);
    finish[1]!();
    await Promise.all([b, c]);
  });

  it("writes a lone item after a quiet spell at once", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write, { spacingMs: 50 });
    const a = mark("a");
    await vi.advanceTimersByTimeAsync(0);
    finish[0]!();
    await a;
    await vi.advanceTimersByTimeAsync(80);
    const b = mark("b");
    await vi.advanceTimersByTimeAsync(0);
    expect(rounds).toEqual([["a"], ["b"]]);
    finish[1]!();
    await b;
  });

  it("starts the next round as soon as a write slower than the spacing ends", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write, { spacingMs: 50 });
    const a = mark("a");
    await vi.advanceTimersByTimeAsync(0);
    const b = mark("b");
    await vi.advanceTimersByTimeAsync(80);
    expect(rounds).toEqual([["a"]]);
    finish[0]!();
    await a;
    await vi.advanceTimersByTimeAsync(0);
    expect(rounds).toEqual([["a"], ["b"]]);
    finish[1]!();
    await b;
  });

  it("a failed round still counts: the round after it waits out the spacing too", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write, { spacingMs: 50 });
    const a = mark("a");
    await vi.advanceTimersByTimeAsync(0);
    const b = mark("b");
    finish[0]!(new Error("database away"));
    await expect(a).rejects.toThrow("database away");
    await vi.advanceTimersByTimeAsync(49);
    expect(rounds).toEqual([["a"]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rounds).toEqual([["a"], ["b"]]);
    finish[1]!();
    await expect(b).resolves.toBeUndefined();
  });
});

describe("take() hands the waiting items to another statement (the sender's claim carries its marks)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("takes what waits for the next round, settles it with the carrying statement, and the next round of its own waits out the spacing from then", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write, { spacingMs: 50 });
    const a = mark("a");
    await vi.advanceTimersByTimeAsync(0);
    const b = mark("b");
    const c = mark("c");
    await vi.advanceTimersByTimeAsync(30);
    const taken = mark.take();
    expect(taken.items).toEqual(["b", "c"]);
    let bSettled = false;
    void b.finally(() => (bSettled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(bSettled).toBe(false); // until the carrying statement says how it went
    taken.written();
    await Promise.all([b, c]);
    finish[0]!();
    await a;
    const d = mark("d");
    // 50 ms after a's round and 20 after the take: d waits for the spacing since the take.
    await vi.advanceTimersByTimeAsync(20);
    expect(rounds).toEqual([["a"]]);
    await vi.advanceTimersByTimeAsync(29);
    expect(rounds).toEqual([["a"]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rounds).toEqual([["a"], ["d"]]);
    finish[1]!();
    await d;
    // Each item was written once: by its round or by the statement that took it.
    expect(mark.take().items).toEqual([]);
  });

  it("a carrying statement that fails fails exactly the items it took; an item that came after is written in its own round", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write, { spacingMs: 50 });
    const b = mark("b");
    const taken = mark.take();
    const c = mark("c");
    taken.failed(new Error("database away"));
    await expect(b).rejects.toThrow("database away");
    await vi.advanceTimersByTimeAsync(50);
    expect(rounds).toEqual([["c"]]);
    finish[0]!();
    await expect(c).resolves.toBeUndefined();
  });

  it("taking nothing does not count as a round: a lone item is still written at once", async () => {
    const { rounds, finish, write } = heldWrites();
    const mark = writeInRounds(write, { spacingMs: 50 });
    expect(mark.take().items).toEqual([]);
    const a = mark("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(rounds).toEqual([["a"]]);
    finish[0]!();
    await a;
  });
});
