import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Logger } from "./logging.js";

/**
 * When a busy period has been followed by quiet, the young generation stays
 * at the size the load grew it to (8 MB semi-spaces: 16 MB resident), and the
 * old generation keeps the pages its garbage sat on: V8's own memory reducer
 * does not give them back. One full collection that aims at memory, not
 * speed, does: measured under `npm start`, each service idled at 94-98 MB
 * resident with it against 108-114 MB without (docs/performance.md,
 * "Memory (P8)").
 */
export interface IdleRule {
  /** How often CPU use is sampled. */
  checkEveryMs: number;
  /** Quiet this long after activity: the memory is released (once per quiet period). */
  quietAfterMs: number;
  /** A sample below this share of one core is quiet (an idle relay's polls, NATS pings). */
  busyCpuShare: number;
}

export const DEFAULT_IDLE_RULE: IdleRule = { checkEveryMs: 5_000, quietAfterMs: 15_000, busyCpuShare: 0.02 };

/**
 * Decides from CPU samples when to release: after `quietAfterMs` of quiet
 * that followed activity, once. Starting counts as activity, so a service
 * that starts and waits releases what its start-up left behind.
 */
export class IdleDetector {
  private quietForMs = 0;
  private armed = true;

  constructor(private readonly rule: IdleRule = DEFAULT_IDLE_RULE) {}

  /** One sample: `cpuMicros` of CPU used over the last `intervalMs`. True: release now. */
  sample(cpuMicros: number, intervalMs: number): boolean {
    if (cpuMicros / 1_000 >= this.rule.busyCpuShare * intervalMs) {
      this.quietForMs = 0;
      this.armed = true;
      return false;
    }
    this.quietForMs += intervalMs;
    if (!this.armed || this.quietForMs < this.rule.quietAfterMs) return false;
    this.armed = false;
    return true;
  }
}

type GcFunction = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/**
 * V8's gc() without `--expose-gc` on the command line: the flag set now
 * applies to contexts made after it, so a new context carries the function
 * (the way Node's own tests reach it). Nothing else sees it.
 */
export function exposedGc(): GcFunction {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as GcFunction;
}

/** A full collection that shrinks the heap and hands its free pages back, then what it took. */
export function releaseMemory(gc: GcFunction): { ms: number; rssBeforeMb: number; rssAfterMb: number } {
  const rssBeforeMb = process.memoryUsage.rss() / 1_048_576;
  const started = performance.now();
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  const ms = performance.now() - started;
  return { ms, rssBeforeMb, rssAfterMb: process.memoryUsage.rss() / 1_048_576 };
}

/**
 * Samples the process's CPU use and releases memory when a busy period
 * has gone quiet. The timer never keeps the process alive.
 */
export function releaseMemoryWhenIdle(logger: Logger, rule: IdleRule = DEFAULT_IDLE_RULE): { stop(): void } {
  const detector = new IdleDetector(rule);
  // Made on the first release, not at start: a service that is never quiet never needs it.
  let gc: GcFunction | undefined;
  let last = process.cpuUsage();
  const timer = setInterval(() => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    if (!detector.sample(used.user + used.system, rule.checkEveryMs)) return;
    gc ??= exposedGc();
    const released = releaseMemory(gc);
    logger.debug(
      { ms: Math.round(released.ms), rssBeforeMb: Math.round(released.rssBeforeMb), rssAfterMb: Math.round(released.rssAfterMb) },
      "quiet: heap compacted and its free pages released",
    );
    // The collection's own CPU is not activity.
    last = process.cpuUsage();
  }, rule.checkEveryMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
