import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@acme/gen/acme/auth/v1/auth_service_pb";

export const PASSWORD = "correct horse battery staple";

/** ok: committed. refused: certainly not (a domain refusal, or auth was not listening). unknown: may or may not have committed. */
export type Outcome = "ok" | "refused" | "unknown";

export interface WriteRecord {
  kind: "register" | "change-email" | "delete";
  /** register: the email registered with; change-email: the new email. */
  email?: string;
  outcome: Outcome;
  /** Connect code name or network error, when not ok. */
  error?: string;
}

/** One account the load created or tried to create; its writes run one at a time, in order. */
export interface UserRecord {
  registeredEmail: string;
  userId?: string;
  token?: string;
  writes: WriteRecord[];
  busy: boolean;
  /** Deleted, or a write with an unknown outcome: no more writes (its state is what auth committed). */
  retired: boolean;
}

export class Ledger {
  readonly users: UserRecord[] = [];
  count(outcome: Outcome): number {
    return this.users.reduce((n, u) => n + u.writes.filter((w) => w.outcome === outcome).length, 0);
  }
}

export interface LoadOptions {
  authUrl: string;
  opsPerSecond: number;
  /** Unique to the run: every email carries it. */
  tag: string;
  /** A write that has not answered after this is an unknown outcome. */
  timeoutMs?: number;
  maxInFlight?: number;
}

/**
 * Steady write load on auth: registrations (each followed by a login to get
 * a token, not counted), email changes and deletions, `opsPerSecond` in
 * all. Every write's outcome goes into the ledger. Runs until `stop()`, then
 * waits for the writes in flight.
 */
export function startLoad(options: LoadOptions, ledger: Ledger): { stop(): Promise<void> } {
  const auth: Client<typeof AuthService> = createClient(AuthService, createConnectTransport({ baseUrl: options.authUrl, httpVersion: "1.1" }));
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxInFlight = options.maxInFlight ?? 32;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let serial = 0;

  async function write(user: UserRecord, record: Omit<WriteRecord, "outcome">, call: () => Promise<unknown>): Promise<boolean> {
    const entry: WriteRecord = { ...record, outcome: "unknown" };
    user.writes.push(entry);
    try {
      await call();
      entry.outcome = "ok";
      return true;
    } catch (error) {
      const { outcome, reason } = classify(error);
      entry.outcome = outcome;
      entry.error = reason;
      if (outcome === "unknown") user.retired = true;
      return false;
    }
  }

  async function register(): Promise<void> {
    const email = `u${serial++}.${options.tag}@faults.example`;
    const user: UserRecord = { registeredEmail: email, writes: [], busy: true, retired: false };
    ledger.users.push(user);
    await write(user, { kind: "register", email }, async () => {
      user.userId = (await auth.register({ email, password: PASSWORD }, { timeoutMs })).userId;
    });
    if (!user.userId) user.retired = true;
    user.busy = false;
  }

  async function next(user: UserRecord): Promise<void> {
    if (!user.token) {
      const email = [...user.writes].reverse().find((w) => w.outcome === "ok" && w.email)?.email ?? user.registeredEmail;
      user.token = await auth.login({ email, password: PASSWORD }, { timeoutMs }).then(
        (r) => r.accessToken,
        () => undefined,
      );
      return;
    }
    const headers = { authorization: `Bearer ${user.token}` };
    if (Math.random() < 0.75) {
      const email = `u${serial++}.${options.tag}@faults.example`;
      await write(user, { kind: "change-email", email }, () => auth.changeEmail({ newEmail: email, currentPassword: PASSWORD }, { headers, timeoutMs }));
    } else if (await write(user, { kind: "delete" }, () => auth.deleteAccount({ currentPassword: PASSWORD }, { headers, timeoutMs }))) {
      user.retired = true;
    }
  }

  function startOne(): void {
    const idle = ledger.users.filter((u) => !u.busy && !u.retired && u.userId);
    let work: Promise<void>;
    if (idle.length < 8 || Math.random() < 0.45) {
      work = register();
    } else {
      const user = idle[Math.floor(Math.random() * idle.length)]!;
      user.busy = true;
      work = next(user).finally(() => (user.busy = false));
    }
    const tracked: Promise<void> = work.catch(() => {}).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  const loop = (async () => {
    const interval = 1_000 / options.opsPerSecond;
    let due = performance.now();
    while (!stopped) {
      if (inFlight.size < maxInFlight) startOne();
      due += interval;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
    await Promise.all(inFlight);
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

const REFUSALS = new Set([Code.InvalidArgument, Code.AlreadyExists, Code.Unauthenticated, Code.NotFound, Code.PermissionDenied, Code.ResourceExhausted]);

/** A refusal by auth, or a connection auth never accepted, did not commit; anything else may have. */
export function classify(error: unknown): { outcome: Outcome; reason: string } {
  const ce = ConnectError.from(error);
  if (REFUSALS.has(ce.code)) return { outcome: "refused", reason: Code[ce.code] ?? String(ce.code) };
  const network = errorCode(error);
  if (network === "ECONNREFUSED") return { outcome: "refused", reason: network };
  return { outcome: "unknown", reason: network ?? Code[ce.code] ?? ce.message };
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
