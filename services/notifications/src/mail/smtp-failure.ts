/**
 * What a failed SMTP send means for the mail. A 5xx reply is the server's
 * final word (an address it refuses, a message it will not take): the mail
 * is marked failed and never retried. Everything else (4xx, a refused or
 * dropped connection, a timeout) is transient: the mail waits and is tried
 * again, however long the server is away.
 */
export interface SmtpFailure {
  permanent: boolean;
  /** One line for the mail row and the logs, e.g. "550 5.1.1 unknown user". */
  reason: string;
}

export function classifySmtpFailure(error: unknown): SmtpFailure {
  const e = (error ?? {}) as { responseCode?: unknown; response?: unknown; code?: unknown; message?: unknown };
  const responseCode = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const text = typeof e.response === "string" ? e.response : typeof e.message === "string" ? e.message : String(error);
  const reason = [typeof e.code === "string" ? e.code : undefined, text.replace(/\s+/g, " ").trim().slice(0, 500)].filter(Boolean).join(": ");
  return { permanent: responseCode !== undefined && responseCode >= 500 && responseCode < 600, reason };
}

/** Seconds-scale backoff after the nth failed attempt: 1 s, 2 s, 4 s ... capped at `maxMs`. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), maxMs);
}
