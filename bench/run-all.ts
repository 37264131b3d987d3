/**
 * `npm run bench`: every benchmark under bench/, one after another (each
 * starts its own servers, measures its own baseline, prints its ratio).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const benches = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "run-all.ts").sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`);
  const result = spawnSync(process.execPath, ["--import", "tsx", `${here}${bench}`], { stdio: "inherit" });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
