import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readMailDir, type SunkMail } from "./mail-file.js";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";

/**
 * The development mail sink: a real SMTP server (smtp-server) on loopback
 * that accepts every message and keeps it as an .eml file, so `npm start`,
 * the tests and the fault suite see exactly what a mail server would have
 * received. No TLS, no AUTH: it never leaves 127.0.0.1.
 */
export interface MailSinkOptions {
  /** Where the .eml files go (created if missing). */
  dir: string;
  port: number;
  host?: string;
  /**
   * Refuse a recipient with a permanent 5xx (tests of bad addresses): return
   * the reason, or undefined to accept.
   */
  rejectRecipient?: (address: string) => string | undefined;
}

export interface MailSink {
  readonly port: number;
  readonly dir: string;
  /** Messages kept so far, oldest first. */
  messages(): Promise<SunkMail[]>;
  stop(): Promise<void>;
}

export async function startMailSink(options: MailSinkOptions): Promise<MailSink> {
  await mkdir(options.dir, { recursive: true });
  let received = 0;
  const server = new SMTPServer({
    disabledCommands: ["AUTH", "STARTTLS"],
    authOptional: true,
    logger: false,
    banner: "acme development mail sink",
    size: 10 * 1024 * 1024,
    // stop() ends idle client connections (a sender's pool) after 1 s instead of 30.
    closeTimeout: 1_000,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const reason = options.rejectRecipient?.(address.address);
      if (!reason) return callback();
      callback(Object.assign(new Error(reason), { responseCode: 550 }));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", callback);
      stream.on("end", () => {
        // Written under a temporary name, then renamed: a reader never sees half a message,
        // and the client gets its 250 only once the file is there.
        const name = `${Date.now()}-${String(++received).padStart(6, "0")}-${process.pid}.eml`;
        const temporary = join(options.dir, `.${name}.tmp`);
        writeFile(temporary, Buffer.concat(chunks))
          .then(() => rename(temporary, join(options.dir, name)))
          .then(() => callback(), callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Client sockets that drop mid-session are the client's problem, not the sink's.
  server.on("error", () => {});
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    port,
    dir: options.dir,
    messages: () => readMailDir(options.dir),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export { mailFileNames, readMailDir, readMailFile, type SunkMail } from "./mail-file.js";
