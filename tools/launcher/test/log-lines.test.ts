import { describe, expect, it } from "vitest";
import { createLineFormatter } from "../src/log-lines.js";

describe("service log lines at the terminal", () => {
  const pretty = createLineFormatter({ format: "pretty", color: false });
  const time = Date.UTC(2026, 10, 27, 12, 0, 1, 234);

  it("turns a pino line into time, service, level, message and fields", () => {
    const line = JSON.stringify({
      level: 40,
      time,
      pid: 1,
      hostname: "h",
      service: "auth",
      name: "auth",
      msg: "event stream declared",
      stream: "AUTH_EVENTS",
      attempt: 2,
    });
    expect(pretty("auth", line)).toBe("12:00:01.234 [auth]     WARN  event stream declared stream=AUTH_EVENTS attempt=2");
  });

  it("shows an error's message and stack", () => {
    const line = JSON.stringify({ level: 50, time, msg: "failed", err: { type: "Error", message: "boom", stack: "Error: boom\n    at x" } });
    expect(pretty("profile", line)).toBe('12:00:01.234 [profile]  ERROR failed err="boom"\nError: boom\n    at x');
  });

  it("keeps lines that are not JSON, and passes JSON through with LOG_FORMAT=json", () => {
    expect(pretty("billing", "node: bad option")).toBe("[billing]  node: bad option");
    const json = createLineFormatter({ format: "json", color: false });
    expect(json("auth", '{"level":30,"msg":"x"}')).toBe('{"level":30,"msg":"x"}');
  });
});
