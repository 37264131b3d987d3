import { startMailSink } from "./mail-sink.js";

/**
 * The mail sink as its own process (`node --import tsx tools/devstack/src/mail-sink-main.ts`):
 * the launcher starts it this way, and the fault suite kills it with -9.
 * SMTP_SINK_PORT (default 2525) and MAIL_DIR (default .devstack/mail).
 */
const port = Number(process.env.SMTP_SINK_PORT ?? 2525);
const dir = process.env.MAIL_DIR ?? ".devstack/mail";
const sink = await startMailSink({ port, dir });
console.log(JSON.stringify({ msg: "mail sink listening", port: sink.port, dir }));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void sink.stop().then(() => process.exit(0)));
}
