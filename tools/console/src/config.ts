import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const SERVICE_NAMES = ["auth", "profile", "billing", "notifications"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
const DEFAULT_PORTS: Record<ServiceName, { port: number; admin: number }> = {
  auth: { port: 8081, admin: 9081 },
  profile: { port: 8082, admin: 9082 },
  billing: { port: 8083, admin: 9083 },
  notifications: { port: 8084, admin: 9084 },
};

export interface ServiceTarget {
  name: ServiceName;
  url: string;
  adminUrl: string;
  adminToken?: string;
  /** Known when the launcher started it on this machine: for its resident memory. */
  pid?: number;
}

export interface SystemTarget {
  natsUrl: string;
  natsUser?: string;
  natsPassword?: string;
  services: ServiceTarget[];
  /** The development mail sink's folder of .eml files. */
  mailDir: string;
}

export interface ConsoleSettings {
  port: number;
  dir: string;
  spanLimit: number;
  webDir: string;
}

export function consoleSettings(env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const number = (name: string, fallback: number) => {
    const value = env[name] ? Number(env[name]) : fallback;
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, not ${JSON.stringify(env[name])}`);
    return value;
  };
  return {
    port: number("CONSOLE_PORT", 8080),
    dir: env.DEVSTACK_DIR || join(REPO_ROOT, ".devstack"),
    spanLimit: Math.max(100, number("CONSOLE_SPAN_LIMIT", 10_000)),
    webDir: env.CONSOLE_WEB_DIR || join(REPO_ROOT, "tools/console/web/dist"),
  };
}

/** The parts of the launcher's launcher.json the console reads (all optional: it may be older or partly written). */
interface LauncherState {
  services?: Partial<Record<ServiceName, { url?: string; adminUrl?: string; pid?: number }>>;
  nats?: { url?: string };
  mailSink?: { dir?: string };
}

/** The parts of the launcher's credentials.json the console reads. */
interface LauncherCredentials {
  adminToken?: string;
  services?: Partial<Record<ServiceName, { adminToken?: string }>>;
  console?: { nats?: string };
}

/** A launcher file's contents, or undefined when it is missing or not JSON; its shape is trusted, not checked. */
function readJson<T extends object>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * Where the system is and the console's credentials for it: the environment
 * first (AUTH_URL, AUTH_ADMIN_URL, AUTH_ADMIN_TOKEN, ..., NATS_URL,
 * CONSOLE_NATS_USER, CONSOLE_NATS_PASSWORD, CONSOLE_MAIL_DIR), then the launcher's
 * launcher.json and credentials.json. Read again on every poll, so a console
 * started before the system finds it when it comes up.
 */
export function resolveSystem(dir: string, env: NodeJS.ProcessEnv = process.env): SystemTarget {
  const state = readJson<LauncherState>(join(dir, "launcher.json"));
  const credentials = readJson<LauncherCredentials>(join(dir, "credentials.json"));
  const services = SERVICE_NAMES.map((name): ServiceTarget => {
    const upper = name.toUpperCase();
    const launched = state?.services?.[name];
    const own = credentials?.services?.[name];
    const adminToken = env[`${upper}_ADMIN_TOKEN`] || env.ADMIN_TOKEN || credentials?.adminToken || own?.adminToken;
    return {
      name,
      url: env[`${upper}_URL`] || launched?.url || `http://127.0.0.1:${DEFAULT_PORTS[name].port}`,
      adminUrl: env[`${upper}_ADMIN_URL`] || launched?.adminUrl || `http://127.0.0.1:${DEFAULT_PORTS[name].admin}`,
      ...(adminToken ? { adminToken } : {}),
      ...(launched?.pid ? { pid: launched.pid } : {}),
    };
  });
  const natsPassword = env.CONSOLE_NATS_PASSWORD || credentials?.console?.nats;
  return {
    natsUrl: env.NATS_URL || state?.nats?.url || "nats://127.0.0.1:4222",
    ...(natsPassword ? { natsUser: env.CONSOLE_NATS_USER || "console", natsPassword } : {}),
    services,
    mailDir: env.CONSOLE_MAIL_DIR || state?.mailSink?.dir || join(dir, "mail"),
  };
}
