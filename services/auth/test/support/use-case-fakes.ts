import type { OutboxEvent } from "@acme/kit/outbox";
import type { AttemptBudget, Credential, CredentialStore, PasswordHasher, UserEventBuilder } from "../../src/app/ports.js";
import { AuthError } from "../../src/domain/errors.js";

/*
 * Fakes behind auth's ports (src/app/ports.ts), for unit tests of the use
 * cases. The real adapters have their own tests: the store and the throttle
 * against PostgreSQL (test/integration), the event bytes through the Pact
 * provider verification, the hasher in login.test.ts.
 */

/** Credentials and their outbox in memory, with the real store's contract: a change and its event, or neither. */
export function memoryCredentialStore(initial: Credential[] = []) {
  const credentials = new Map(initial.map((c) => [c.userId, { ...c }]));
  const outbox: OutboxEvent[] = [];
  const emailTaken = (email: string, except?: string) =>
    [...credentials.values()].some((c) => c.userId !== except && c.email.toLowerCase() === email.toLowerCase());
  const existing = (userId: string) => {
    const credential = credentials.get(userId);
    if (!credential) throw new AuthError("AUTH.ACCOUNT_NOT_FOUND", "the account no longer exists");
    return credential;
  };
  const store: CredentialStore = {
    findByEmail: async (email) => [...credentials.values()].find((c) => c.email.toLowerCase() === email.toLowerCase()),
    findById: async (userId) => credentials.get(userId),
    async create(credential, event) {
      if (emailTaken(credential.email)) throw new AuthError("AUTH.EMAIL_TAKEN", "an account with this email already exists");
      credentials.set(credential.userId, { ...credential, revision: 1 });
      outbox.push(event);
    },
    async changeEmail(userId, email, event) {
      const current = existing(userId);
      if (emailTaken(email, userId)) throw new AuthError("AUTH.EMAIL_TAKEN", "an account with this email already exists");
      const built = event(current.revision + 1); // built first: a builder that throws changes nothing
      credentials.set(userId, { ...current, email, revision: current.revision + 1 });
      outbox.push(built);
    },
    async delete(userId, event) {
      const built = event(existing(userId).revision + 1);
      credentials.delete(userId);
      outbox.push(built);
    },
  };
  return { store, credentials, outbox };
}

/** A hasher that "hashes" by prefixing (no argon2id), counting calls; `failing` makes hash() reject. */
export function fakeHasher(options: { failing?: boolean } = {}) {
  const calls = { hash: 0, verify: 0, verifyNothing: 0 };
  const hasher: PasswordHasher = {
    async hash(password) {
      calls.hash++;
      if (options.failing) throw new Error("hashing worker crashed");
      return `hashed:${password}`;
    },
    async verify(passwordHash, password) {
      calls.verify++;
      return passwordHash === `hashed:${password}`;
    },
    async verifyNothing() {
      calls.verifyNothing++;
    },
  };
  return { hasher, calls };
}

/** An attempt budget that records what was reserved and reported; `refuse` makes every reservation throw TOO_MANY_ATTEMPTS. */
export function recordingBudget(options: { refuse?: boolean } = {}) {
  const log: string[] = [];
  const refusal = () => new AuthError("AUTH.TOO_MANY_ATTEMPTS", "too many attempts; try again in 5 seconds", 5);
  const throttle: AttemptBudget = {
    async reservePasswordCheck(account) {
      if (options.refuse) throw refusal();
      log.push(`check ${account}`);
      let reported = false;
      const report = (outcome: string) => async () => {
        if (reported) return;
        reported = true;
        log.push(`${outcome} ${account}`);
      };
      return { succeeded: report("succeeded"), failed: report("failed") };
    },
    async reserveRegistration(client) {
      if (options.refuse) throw refusal();
      log.push(`register ${client}`);
    },
  };
  return { throttle, log };
}

/** An event builder that makes recognisable events and records each call. */
export function recordingEvents() {
  const built: Array<{ kind: string; fact: Record<string, unknown>; traceparent: string | undefined; event: OutboxEvent }> = [];
  const make =
    (kind: string) =>
    (fact: { userId: string } & Record<string, unknown>, traceparent?: string): OutboxEvent => {
      const event: OutboxEvent = {
        eventId: `${kind}-${built.length + 1}`,
        subject: `test.${kind}`,
        partitionKey: fact.userId,
        payload: new Uint8Array(),
        headers: {},
      };
      built.push({ kind, fact, traceparent, event });
      return event;
    };
  const events: UserEventBuilder = { registered: make("registered"), emailChanged: make("email_changed"), deleted: make("deleted") };
  return { events, built };
}
