import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { z } from "zod";
import type { Logger } from "../logging.js";
import { portSchema } from "../env.js";

/**
 * The admin port's variables, spread into each service's environment
 * schema. Without ADMIN_TOKEN the admin port still serves /healthz, /readyz
 * and /metrics, and refuses every admin RPC.
 */
export function adminEnv(defaultPort: number) {
  return {
    ADMIN_PORT: portSchema.default(defaultPort),
    ADMIN_TOKEN: z.preprocess(
      (value) => (value === "" ? undefined : value),
      z.string().min(16, "must be at least 16 characters (the launcher generates one)").regex(/^\S+$/, "must not contain spaces").optional(),
    ),
  };
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Admin RPCs need `Authorization: Bearer <ADMIN_TOKEN>`. The comparison is
 * of SHA-256 digests with timingSafeEqual, so neither the token's bytes nor
 * its length leak through timing. A refusal is `unauthenticated` and is
 * logged with the procedure and why, never with what was sent.
 */
export function requireAdminToken(token: string | undefined, logger: Logger): Interceptor {
  const expected = token ? digest(token) : undefined;
  return (next) => async (request) => {
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const header = request.header.get("authorization");
    const presented = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    const refuse = (reason: string, message: string) => {
      logger.warn({ procedure, reason }, "admin RPC refused");
      return new ConnectError(message, Code.Unauthenticated);
    };
    if (!expected) throw refuse("no ADMIN_TOKEN configured", "admin RPCs are off: this service was started without ADMIN_TOKEN");
    if (!presented) throw refuse("no bearer token", "send 'Authorization: Bearer <ADMIN_TOKEN>'");
    if (!timingSafeEqual(digest(presented), expected)) throw refuse("wrong token", "the admin token is not valid");
    return next(request);
  };
}
