import { consoleSettings } from "./config.js";
import { startConsole } from "./server.js";

/**
 * `npm run console`: the console against a system that already runs, found
 * through DEVSTACK_DIR's launcher.json and credentials.json (or AUTH_URL,
 * NATS_URL, CONSOLE_NATS_PASSWORD, ... in the environment). `npm start` runs
 * it too, in the launcher's process tree.
 */
const settings = consoleSettings();
const running = await startConsole(settings, (line) => console.error(line));
console.log(`console listening on ${running.url} (OTLP/HTTP traces: ${running.url}/v1/traces; spans kept: ${settings.spanLimit})`);
const stop = () => void running.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
process.on("disconnect", stop);
