import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Parses the environment once at start-up. A bad or missing variable stops
 * the process with a message that names it, instead of failing later.
 */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`);
  throw new Error(`invalid configuration:\n${problems.join("\n")}`);
}

/** A TCP port number given as a string. */
export const portSchema = z.coerce.number().int().min(0).max(65_535);

/** A postgres:// URL. */
export const postgresUrlSchema = z.string().refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// URL");

/**
 * The server's timeouts and connection cap (kit's listen()), one variable
 * each, parsed beside a service's own variables. Defaults in
 * DEFAULT_SERVER_LIMITS of server/listen.ts.
 */
export const serverLimitsEnv = {
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(5_000),
  PROTOCOL_SNIFF_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  HTTP2_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1_024),
};

export type ServerLimitsConfig = { [K in keyof typeof serverLimitsEnv]: number };

/** listen()'s limits from a parsed configuration that spread serverLimitsEnv (unset ones: listen()'s defaults). */
export function serverLimits(config: Partial<ServerLimitsConfig>) {
  const limits = {
    headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT_MS,
    sniffTimeoutMs: config.PROTOCOL_SNIFF_TIMEOUT_MS,
    http2IdleTimeoutMs: config.HTTP2_IDLE_TIMEOUT_MS,
    maxConnections: config.MAX_CONNECTIONS,
  };
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)) as Partial<Record<keyof typeof limits, number>>;
}

/**
 * A path to a PEM file that must be usable before the service starts: a
 * certificate (or CA bundle) that parses, or a private key that parses. A
 * missing or unreadable file stops the start with the variable's name.
 */
export function pemFileSchema(kind: "certificate" | "private key") {
  return z
    .string()
    .min(1)
    .superRefine((path, ctx) => {
      let pem: string;
      try {
        pem = readFileSync(path, "utf8");
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
        return;
      }
      try {
        if (kind === "certificate") new X509Certificate(pem);
        else createPrivateKey(pem);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `${path} holds no PEM ${kind}: ${(error as Error).message}` });
      }
    });
}

/**
 * TLS to NATS: the CA that signed the server's certificate (the server is
 * verified, host name included), and a client certificate and key when the
 * server requires one. Unset: plain TCP.
 */
export const natsTlsEnv = {
  NATS_TLS_CA: pemFileSchema("certificate").optional(),
  NATS_TLS_CERT: pemFileSchema("certificate").optional(),
  NATS_TLS_KEY: pemFileSchema("private key").optional(),
};

/**
 * TLS to PostgreSQL: the CA that signed the server's certificate. Set, the
 * connection is libpq's sslmode=verify-full with this sslrootcert (see
 * withDatabaseTls). Unset: DATABASE_URL decides (libpq's sslmode and
 * sslrootcert in its query work too).
 */
export const databaseTlsEnv = {
  DATABASE_SSL_ROOT_CERT: pemFileSchema("certificate").optional(),
};

/**
 * Folds DATABASE_SSL_ROOT_CERT into DATABASE_URL (`sslmode=verify-full&sslrootcert=...`),
 * so every connection the service opens from the URL (pool, migrations,
 * outbox relay) verifies the server. A URL that asks for a weaker sslmode
 * is refused rather than silently upgraded or downgraded.
 */
export function withDatabaseTls<T extends { DATABASE_URL: string; DATABASE_SSL_ROOT_CERT?: string | undefined }>(config: T): T {
  const rootCert = config.DATABASE_SSL_ROOT_CERT;
  if (!rootCert) return config;
  const query = new URL(config.DATABASE_URL).searchParams;
  const mode = query.get("sslmode");
  if (mode !== null && mode !== "verify-full") {
    throw new Error(`invalid configuration:\n  DATABASE_SSL_ROOT_CERT: needs sslmode=verify-full, but DATABASE_URL asks for sslmode=${mode}`);
  }
  if (query.has("sslrootcert")) {
    throw new Error("invalid configuration:\n  DATABASE_SSL_ROOT_CERT: DATABASE_URL has its own sslrootcert; set one of the two");
  }
  const separator = config.DATABASE_URL.includes("?") ? "&" : "?";
  const tls = `${mode === null ? "sslmode=verify-full&" : ""}sslrootcert=${encodeURIComponent(rootCert)}`;
  return { ...config, DATABASE_URL: `${config.DATABASE_URL}${separator}${tls}` };
}
