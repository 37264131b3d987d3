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
export const postgresUrlSchema = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// URL");

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
