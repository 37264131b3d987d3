/**
 * The mails notifications sends, rendered once, when the event is applied
 * (so a mail says what was true then, and the sender only sends). Every value
 * that came from a user (an address) goes through `escapeHtml` before it is
 * put in the HTML body; the plain-text body carries it as is.
 */
export const TEMPLATES = ["welcome", "email-changed-notice", "email-changed-confirmation", "goodbye"] as const;
export type Template = (typeof TEMPLATES)[number];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailFacts {
  /** The address the mail goes to. */
  to: string;
  /** For the email-change mails: the new address. */
  newEmail?: string;
  /** When the fact happened (auth's time). */
  at: Date;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** n***@example.com: enough for the owner to recognise, too little to harvest. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf("@");
  const local = at > 0 ? address.slice(0, at) : address;
  const domain = at > 0 ? address.slice(at + 1) : "";
  return `${[...local][0] ?? ""}***@${domain}`;
}

/** "2026-12-01 18:47 UTC": one unambiguous form for every reader. */
export function formatTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

interface Parts {
  subject: string;
  /** Paragraphs; `{x}` marks a value from the facts, filled in escaped for HTML. */
  paragraphs: string[];
}

function parts(template: Template, facts: MailFacts): { subject: string; paragraphs: string[]; values: Record<string, string> } {
  const values = { to: facts.to, masked: maskAddress(facts.newEmail ?? ""), time: formatTime(facts.at) };
  const texts: Record<Template, Parts> = {
    welcome: {
      subject: "Welcome to Acme",
      paragraphs: ["Hello,", "your Acme account for {to} is ready. You can sign in with this address from now on.", "Welcome aboard."],
    },
    "email-changed-notice": {
      subject: "The email address of your Acme account was changed",
      paragraphs: [
        "Hello,",
        "the email address of your Acme account was changed to {masked} at {time}. From now on, mail about your account goes to the new address.",
        "If this wasn't you, someone else may have access to your account: reset your password and contact Acme support right away, replying to this mail.",
      ],
    },
    "email-changed-confirmation": {
      subject: "Your Acme account now uses this address",
      paragraphs: ["Hello,", "from {time} on, your Acme account uses {to}: sign in with it, and account mail comes here."],
    },
    goodbye: {
      subject: "Your Acme account has been deleted",
      paragraphs: ["Hello,", "your Acme account for {to} was deleted at {time}. We have erased the personal data we kept about it.", "Goodbye, and thank you."],
    },
  };
  return { ...texts[template], values };
}

const fill = (paragraph: string, values: Record<string, string>, encode: (value: string) => string) =>
  paragraph.replace(/\{(\w+)\}/g, (_, key: string) => encode(values[key] ?? ""));

export function renderMail(template: Template, facts: MailFacts): RenderedMail {
  const { subject, paragraphs, values } = parts(template, facts);
  const text = `${paragraphs.map((p) => fill(p, values, (v) => v)).join("\n\n")}\n`;
  const body = paragraphs.map((p) => `<p>${fill(escapeHtml(p), values, escapeHtml)}</p>`).join("\n");
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n<body>\n${body}\n</body></html>\n`;
  return { subject, text, html };
}
