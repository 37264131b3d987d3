import { z } from "zod";

/**
 * Test-only fault injection, driven by tools/faults (`npm run faults`).
 * Every seam is off unless its FAULT_* variable is set; production
 * configurations never set them.
 */

/** A FAULT_*_AT variable: the 1-based count at which the fault fires; unset = never. */
export const faultCountSchema = z.coerce.number().int().positive().optional();

/**
 * A hook that kills this process outright on its `n`th call: SIGKILL, so no
 * handler runs and nothing is flushed, as in a crash. Undefined when `n` is
 * unset, so callers pass it straight into an optional hook.
 */
export function killOnNthCall(n: number | undefined, kill: () => void = () => process.kill(process.pid, "SIGKILL")): (() => void) | undefined {
  if (!n) return undefined;
  let calls = 0;
  return () => {
    calls += 1;
    if (calls === n) kill();
  };
}
