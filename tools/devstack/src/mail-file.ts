import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** The mail sink's folder: one .eml file per message received, named so they sort by arrival. */
export interface SunkMail {
  file: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  date: Date | undefined;
  text: string;
  html: string;
  /** The W3C trace context the sender put in the mail's headers, if any. */
  traceparent: string | undefined;
}

/** The .eml files in `dir`, oldest first (the names sort by arrival); none when the folder is missing. */
export async function mailFileNames(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".eml")).sort();
}

/** Parses every .eml in `dir`, oldest first. */
export async function readMailDir(dir: string): Promise<SunkMail[]> {
  const names = await mailFileNames(dir);
  return Promise.all(names.map((name) => readMailFile(dir, name)));
}

/** Parses one .eml of `dir` (a file the sink finished: they never change once named). */
export async function readMailFile(dir: string, name: string): Promise<SunkMail> {
  return parseMail(name, await readFile(join(dir, name)));
}

async function parseMail(file: string, raw: Buffer): Promise<SunkMail> {
  // Loaded on first use: the console imports this module and only its Mail page needs a parser.
  const { simpleParser } = await import("mailparser");
  const parsed = await simpleParser(raw);
  const addresses = (value: typeof parsed.to) => (value ? (Array.isArray(value) ? value : [value]).flatMap((a) => a.value.map((v) => v.address ?? "")) : []);
  const traceparent = parsed.headers.get("traceparent");
  return {
    file,
    messageId: parsed.messageId ?? "",
    from: addresses(parsed.from)[0] ?? "",
    to: addresses(parsed.to),
    subject: parsed.subject ?? "",
    date: parsed.date,
    text: parsed.text ?? "",
    html: typeof parsed.html === "string" ? parsed.html : "",
    traceparent: typeof traceparent === "string" ? traceparent : undefined,
  };
}
