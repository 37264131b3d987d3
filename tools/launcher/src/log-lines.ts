/**
 * The services log pino JSON, one object a line. For a person at a terminal
 * the launcher turns each into `12:00:01.234 [auth]    INFO  message key=value`;
 * LOG_FORMAT=json passes the lines through unchanged (for jq or a collector).
 * Anything that is not JSON (a crash before the logger exists) is kept as is.
 */
const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const COLORS: Record<string, string> = { TRACE: "90", DEBUG: "90", INFO: "32", WARN: "33", ERROR: "31", FATAL: "35" };
const NAME_COLORS = ["36", "35", "34", "33", "32"];
const OMITTED = new Set(["level", "time", "pid", "hostname", "service", "name", "msg", "v"]);

export type LineFormatter = (source: string, line: string) => string;

export function createLineFormatter(options: { format: "pretty" | "json"; color: boolean; width?: number }): LineFormatter {
  const width = options.width ?? 8;
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const nameColor = new Map<string, string>();
  const label = (source: string) => {
    if (!nameColor.has(source)) nameColor.set(source, NAME_COLORS[nameColor.size % NAME_COLORS.length]!);
    return paint(nameColor.get(source)!, `[${source}]`.padEnd(width + 2));
  };

  return (source, line) => {
    if (options.format === "json") return line;
    let record: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a log record");
      record = parsed as Record<string, unknown>;
    } catch {
      return `${label(source)} ${line}`;
    }
    const level = LEVELS[Number(record.level)] ?? String(record.level ?? "");
    const time = typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 23) : "";
    const fields = Object.entries(record)
      .filter(([key]) => !OMITTED.has(key))
      .map(([key, value]) => `${key}=${fieldText(key, value)}`);
    const message = String(record.msg ?? "");
    return [paint("90", time), label(source), paint(COLORS[level] ?? "0", level.padEnd(5)), message, ...fields].filter(Boolean).join(" ");
  };
}

function fieldText(key: string, value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  // pino serialises errors as {type, message, stack}: the message is what a reader needs first.
  if ((key === "err" || key === "error") && value && typeof value === "object" && "message" in value) {
    const err = value as { message: unknown; stack?: unknown };
    return JSON.stringify(err.message) + (typeof err.stack === "string" ? `\n${err.stack}` : "");
  }
  return JSON.stringify(value);
}
