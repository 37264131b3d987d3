import { readFileSync } from "node:fs";

export interface ProcessMemory {
  /** Resident now (VmRSS), in MB. */
  rssMb: number;
  /** Highest resident since the process started (VmHWM), in MB. */
  peakMb: number;
}

/** Linux only (/proc); undefined elsewhere or when the process is gone. */
export function processMemory(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    const rss = kb("VmRSS");
    const peak = kb("VmHWM");
    if (Number.isNaN(rss)) return undefined;
    return { rssMb: Math.round(rss / 102.4) / 10, peakMb: Math.round(peak / 102.4) / 10 };
  } catch {
    return undefined;
  }
}

/** "auth 87.1 MB (peak 95.3 MB), profile ..." for the services given. */
export function memoryLine(pids: Record<string, number>): string {
  return Object.entries(pids)
    .map(([name, pid]) => {
      const m = processMemory(pid);
      return m ? `${name} ${m.rssMb} MB (peak ${m.peakMb} MB)` : `${name} ?`;
    })
    .join(", ");
}
