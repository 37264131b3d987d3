import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { mailFileNames, readMailFile, type SunkMail } from "@acme/devstack/mail-file";
import { ListMailsResponseSchema, MailSchema, type ListMailsResponse, type Mail } from "@acme/gen/acme/console/v1/console_pb";

/** `00-<trace id>-<span id>-<flags>`: the trace id, or "" when the header is missing or malformed. */
export function traceIdOf(traceparent: string | undefined): string {
  return /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent?.trim().toLowerCase() ?? "")?.[1] ?? "";
}

/** notifications' Message-IDs are `<event-id.template@domain>`; any other mail has neither. */
export function eventOf(messageId: string): { eventId: string; template: string } {
  const match = /^<([^.@<>]+)\.([a-z-]+)@[^>]+>$/.exec(messageId.trim());
  return match ? { eventId: match[1]!, template: match[2]! } : { eventId: "", template: "" };
}

function toMail(m: SunkMail): Mail {
  return create(MailSchema, {
    file: m.file,
    messageId: m.messageId,
    from: m.from,
    to: m.to,
    subject: m.subject,
    ...(m.date && !Number.isNaN(m.date.getTime()) ? { date: timestampFromDate(m.date) } : {}),
    textBody: m.text,
    htmlBody: m.html,
    traceId: traceIdOf(m.traceparent),
    ...eventOf(m.messageId),
  });
}

/**
 * The development mail sink's folder, read as an operator would read it:
 * each .eml parsed once (the sink writes a file whole and never changes it)
 * and kept while the file is there, so a page that polls costs a readdir.
 */
export class MailFolder {
  private readonly parsed = new Map<string, Mail>();
  private dirRead = "";

  async list(dir: string, request: { search: string; limit: number }): Promise<ListMailsResponse> {
    if (dir !== this.dirRead) {
      this.parsed.clear();
      this.dirRead = dir;
    }
    const names = await mailFileNames(dir);
    const present = new Set(names);
    for (const name of this.parsed.keys()) if (!present.has(name)) this.parsed.delete(name);
    const search = request.search.trim().toLowerCase();
    const limit = request.limit || 100;
    const mails: Mail[] = [];
    let problem = "";
    // Newest first; with a search, look further back (up to 2,000 files) for matches.
    for (const name of names.slice(-(search ? 2_000 : limit)).reverse()) {
      let mail = this.parsed.get(name);
      if (!mail) {
        try {
          mail = toMail(await readMailFile(dir, name));
          this.parsed.set(name, mail);
        } catch (error) {
          problem ||= `${name}: ${(error as Error).message}`;
          continue;
        }
      }
      if (search && ![mail.subject, mail.messageId, mail.traceId, mail.eventId, mail.from, ...mail.to].some((v) => v.toLowerCase().includes(search))) continue;
      mails.push(mail);
      if (mails.length >= limit) break;
    }
    if (!names.length)
      problem = `no mail in ${dir} yet (the development mail sink writes each message there; with SMTP_URL set, mail goes to that server instead)`;
    return create(ListMailsResponseSchema, { mails, dir, total: names.length, problem });
  }
}
