import { z } from "zod";

/**
 * The OpenTelemetry SDK's standard environment variables (nothing
 * project-specific), parsed with the service's own configuration so that a
 * malformed value stops the service at start with a message naming it. An
 * empty value counts as unset, as the OpenTelemetry specification says.
 */
const unsetIfEmpty = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });
const protocol = z.enum(["http/protobuf", "http/json"], {
  error: "must be http/protobuf or http/json (grpc is not supported by this service)",
});
const boolean = z
  .string()
  .regex(/^(true|false)$/i, "must be true or false")
  .transform((value) => value.toLowerCase() === "true");
const milliseconds = z.coerce.number().int().positive();
/** `key=value,key=value`, values percent-encoded (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
const keyValueList = z.string().transform((text, ctx) => {
  const pairs: Record<string, string> = {};
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const at = item.indexOf("=");
    const key = at > 0 ? item.slice(0, at).trim() : "";
    if (!key) {
      ctx.addIssue({ code: "custom", message: `"${item.trim()}" is not key=value` });
      return z.NEVER;
    }
    try {
      pairs[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      ctx.addIssue({ code: "custom", message: `the value of "${key}" is not percent-encoded correctly` });
      return z.NEVER;
    }
  }
  return pairs;
});

export const SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;

export function telemetryEnv() {
  return {
    OTEL_SDK_DISABLED: optional(boolean),
    OTEL_SERVICE_NAME: optional(z.string()),
    OTEL_RESOURCE_ATTRIBUTES: optional(keyValueList),
    OTEL_TRACES_EXPORTER: optional(z.enum(["otlp", "none"], { error: "must be otlp or none" })),
    OTEL_EXPORTER_OTLP_ENDPOINT: optional(httpUrl),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(httpUrl),
    OTEL_EXPORTER_OTLP_PROTOCOL: optional(protocol),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optional(protocol),
    OTEL_EXPORTER_OTLP_HEADERS: optional(keyValueList),
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: optional(keyValueList),
    OTEL_EXPORTER_OTLP_TIMEOUT: optional(milliseconds),
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: optional(milliseconds),
    OTEL_TRACES_SAMPLER: optional(z.enum(SAMPLERS, { error: `must be one of ${SAMPLERS.join(", ")}` })),
    OTEL_TRACES_SAMPLER_ARG: optional(z.coerce.number().min(0).max(1)),
    OTEL_BSP_MAX_QUEUE_SIZE: optional(z.coerce.number().int().positive()),
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: optional(z.coerce.number().int().positive()),
    OTEL_BSP_SCHEDULE_DELAY: optional(z.coerce.number().int().min(0)),
    OTEL_BSP_EXPORT_TIMEOUT: optional(milliseconds),
  };
}

export type TelemetryEnv = { [K in keyof ReturnType<typeof telemetryEnv>]?: z.infer<ReturnType<typeof telemetryEnv>[K]> };

/** Where spans go, or undefined: nothing is exported (spans are still made and propagated). */
export function tracesEndpoint(env: TelemetryEnv): { url: string; protocol: "http/protobuf" | "http/json" } | undefined {
  if (env.OTEL_TRACES_EXPORTER === "none") return undefined;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf";
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return { url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, protocol };
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return { url: `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`, protocol };
  return undefined;
}
