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
