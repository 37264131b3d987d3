import { join } from "node:path";
import { runDemo, type DemoUrls } from "./demo-flow.js";
import { memoryLine } from "./memory.js";
import { REPO_ROOT } from "./settings.js";
import { readState } from "./state.js";

/**
 * `npm run demo`, against a running system. URLs: AUTH_URL, PROFILE_URL,
 * BILLING_URL, NOTIFICATIONS_URL; else what the running launcher recorded in
 * DEVSTACK_DIR/launcher.json; else the default ports.
 */
const dir = process.env.DEVSTACK_DIR ?? join(REPO_ROOT, ".devstack");
const state = readState(dir);
const urls: DemoUrls = {
  auth: process.env.AUTH_URL ?? state?.services.auth?.url ?? "http://127.0.0.1:8081",
  profile: process.env.PROFILE_URL ?? state?.services.profile?.url ?? "http://127.0.0.1:8082",
  billing: process.env.BILLING_URL ?? state?.services.billing?.url ?? "http://127.0.0.1:8083",
  notifications: process.env.NOTIFICATIONS_URL ?? state?.services.notifications?.url ?? "http://127.0.0.1:8084",
  mailDir: state?.mailSink?.dir,
};

try {
  await runDemo(urls);
} catch (error) {
  console.error(`\nThe demo failed: ${(error as Error).message}`);
  console.error(
    `Is the system running? Start it with \`npm start\` (auth ${urls.auth}, profile ${urls.profile}, billing ${urls.billing}, notifications ${urls.notifications}).`,
  );
  process.exit(1);
}

// Only on the machine the launcher runs on: its services' PIDs are in its state file.
const pids = Object.fromEntries(Object.entries(state?.services ?? {}).map(([name, s]) => [name, s!.pid]));
if (state && Object.keys(pids).length && !process.env.AUTH_URL) console.log(`Memory of the services now: ${memoryLine(pids)}`);
