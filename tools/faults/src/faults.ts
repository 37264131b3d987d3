import { CONSUMERS } from "./invariant.js";
import { STREAM, type FaultSystem, type ProcessName, SYSTEM_SERVICES } from "./system.js";

export interface FaultContext {
  system: FaultSystem;
  /** A line for the report: what exactly happened. */
  note(text: string): void;
  /** A broken expectation of the fault itself (not of the invariant), e.g. "the outbox kept no rows". */
  fail(text: string): void;
  /** A whole number in [min, max]. */
  random(min: number, max: number): number;
  /** The consumers' ack wait. */
  ackWaitMs: number;
  /** Where the scenario started: auth's last outbox id and the stream's last sequence (set once armed). */
  start: { floor: number; lastSeq: number };
}

export interface Fault {
  /** For the command line: `npm run faults -- nats-kill stream-full`. */
  id: string;
  /** The table's first column. */
  title: string;
  /** Before the load starts (not itself a fault): e.g. restart a process with a FAULT_* variable armed. */
  arm?(ctx: FaultContext): Promise<void>;
  /** True when the armed process fires at a random point by itself; otherwise the runner picks a random moment. */
  firesItself?: boolean;
  /** Resolves once the fault is in effect. */
  inject(ctx: FaultContext): Promise<void>;
  /** How long the fault lasts before it heals. */
  holdMs(ctx: FaultContext): number;
  /** At the end of the hold, before healing: checks that need the fault in effect. */
  whileHeld?(ctx: FaultContext): Promise<void>;
  heal(ctx: FaultContext): Promise<void>;
  /** After the check: expectations on the outcome (e.g. republished > 0). */
  expect?(ctx: FaultContext, outcome: { republished: number; mailCopies: number }): void;
}

/** A process restarted with a FAULT_* seam that SIGKILLs it at a random count; heals by starting it plainly. */
function selfKill(
  id: string,
  title: string,
  name: ProcessName,
  variable: string,
  range: [number, number],
  extra: Record<string, string> = {},
  holdMs = 1_000,
): Fault {
  let count = 0;
  return {
    id,
    title,
    firesItself: true,
    async arm(ctx) {
      count = ctx.random(...range);
      await ctx.system.restart(name, { ...extra, [variable]: String(count) });
    },
    async inject(ctx) {
      await ctx.system.exitOf(name, 60_000);
      ctx.note(`${name} killed itself (SIGKILL) at ${variable}=${count}`);
    },
    holdMs: () => holdMs,
    heal: (ctx) => ctx.system.spawn(name, extra),
  };
}

export const FAULTS: Fault[] = [
  {
    id: "baseline",
    title: "none (baseline)",
    inject: async () => {},
    holdMs: () => 0,
    heal: async () => {},
  },
  {
    id: "nats-kill",
    title: "kill -9 nats-server, restart after 3 s",
    inject: (ctx) => ctx.system.nats.kill(),
    holdMs: () => 3_000,
    heal: (ctx) => ctx.system.startNats(),
  },
  {
    ...selfKill(
      "relay-kill-after-ack",
      "kill -9 auth's relay after the JetStream ack, before marking sent",
      "auth",
      "FAULT_KILL_AFTER_PUBLISHED_ACKS",
      [20, 80],
    ),
    whileHeld: ackedNotMarked,
  },
  {
    ...selfKill(
      "relay-down-past-window",
      "relay down 3 s, past a 1 s duplicate window",
      "auth",
      "FAULT_KILL_AFTER_PUBLISHED_ACKS",
      [20, 80],
      { AUTH_EVENTS_DUPLICATE_WINDOW_MS: "1000" },
      3_000,
    ),
    whileHeld: ackedNotMarked,
    expect(ctx, { republished }) {
      // The rows acked but not marked went out again after the window: JetStream kept both copies; the inboxes must absorb them.
      if (republished === 0) ctx.fail("no event was republished: the scenario did not get past the duplicate window");
    },
  },
  selfKill("consumer-kill-before-commit", "kill -9 profile inside its transaction, before COMMIT", "profile-1", "FAULT_KILL_BEFORE_COMMIT_AT", [10, 40]),
  selfKill("consumer-kill-after-commit", "kill -9 billing after COMMIT, before the ack", "billing", "FAULT_KILL_AFTER_COMMIT_AT", [15, 60]),
  selfKill(
    "notifications-kill-before-commit",
    "kill -9 notifications inside its transaction (mails recorded), before COMMIT",
    "notifications",
    "FAULT_KILL_BEFORE_COMMIT_AT",
    [10, 40],
  ),
  selfKill(
    "notifications-kill-after-commit",
    "kill -9 notifications after COMMIT (mails recorded), before the ack",
    "notifications",
    "FAULT_KILL_AFTER_COMMIT_AT",
    [15, 60],
  ),
  {
    ...selfKill(
      "notifications-kill-after-mail-accepted",
      "kill -9 notifications after the SMTP server accepted a mail, before marking it sent",
      "notifications",
      "FAULT_KILL_AFTER_MAIL_ACCEPTED_AT",
      [10, 40],
    ),
    expect(ctx, { mailCopies }) {
      // At least once: the accepted mail goes again once its lease runs out, under the same Message-ID.
      if (mailCopies === 0) ctx.fail("no mail reached the sink twice: the kill did not land between acceptance and mark");
    },
  },
  mailSinkKill(),
  {
    id: "consumer-paused",
    title: "SIGSTOP profile past its ack wait (the other instance runs), SIGCONT",
    inject: async (ctx) => ctx.system.pause("profile-1"),
    holdMs: (ctx) => ctx.ackWaitMs * 2,
    heal: async (ctx) => ctx.system.resume("profile-1"),
  },
  {
    id: "auth-postgres-restart",
    title: "auth's PostgreSQL stopped (immediate), restarted after 3 s",
    inject: (ctx) => ctx.system.crashPostgres("auth"),
    holdMs: () => 3_000,
    heal: (ctx) => ctx.system.startPostgres("auth"),
  },
  {
    id: "consumer-postgres-restart",
    title: "profile's PostgreSQL stopped (immediate), restarted after 3 s",
    inject: (ctx) => ctx.system.crashPostgres("profile"),
    holdMs: () => 3_000,
    heal: (ctx) => ctx.system.startPostgres("profile"),
  },
  streamFull(),
  {
    id: "sigterm-all",
    title: "SIGTERM to every process at once, then start all",
    async inject(ctx) {
      const { system } = ctx;
      await Promise.all([
        ...system.names.map((name) => system.kill(name, "SIGTERM")),
        system.killSink("SIGTERM"),
        system.nats.stop(),
        // PostgreSQL gets the fast shutdown (SIGINT, what `pg_ctl stop` sends).
        ...SYSTEM_SERVICES.map((s) => system.stopPostgres(s)),
      ]);
    },
    holdMs: () => 1_000,
    async heal(ctx) {
      const { system } = ctx;
      await Promise.all([...SYSTEM_SERVICES.map((s) => system.startPostgres(s)), system.startNats(), system.startSink()]);
      await Promise.all(system.names.map((name) => system.spawn(name)));
    },
  },
];

/**
 * kill -9 of the mail sink while the load runs: mail waits in notifications'
 * outbox (retried with backoff) and is delivered when the sink is back;
 * notifications goes on consuming events meanwhile.
 */
function mailSinkKill(): Fault {
  let consumedAtKill = 0;
  const consumed = async (ctx: FaultContext) => {
    const [row] = await ctx.system.sql("notifications")<{ n: number }[]>`select count(*)::int as n from processed_events`;
    return row?.n ?? 0;
  };
  return {
    id: "mail-sink-kill",
    title: "kill -9 the mail sink, restart after 4 s",
    async inject(ctx) {
      await ctx.system.killSink();
      consumedAtKill = await consumed(ctx);
    },
    holdMs: () => 4_000,
    async whileHeld(ctx) {
      const [queued] = await ctx.system.sql("notifications")<{ n: number }[]>`select count(*)::int as n from mails where status = 'queued'`;
      const applied = (await consumed(ctx)) - consumedAtKill;
      ctx.note(`sink down: notifications applied ${applied} events meanwhile, ${queued?.n} mails waiting`);
      if (applied < 1) ctx.fail("notifications applied no event while the sink was down: mail stopped event consumption");
      if (!queued?.n) ctx.fail("no mail waited while the sink was down");
    },
    heal: (ctx) => ctx.system.startSink(),
  };
}

/**
 * With auth dead, nothing else publishes: the stream's messages of this
 * scenario minus the outbox rows marked sent are the rows JetStream acked
 * that the relay never marked. The scenario is only what it says if there
 * is at least one.
 */
async function ackedNotMarked(ctx: FaultContext): Promise<void> {
  const jsm = await ctx.system.jsm();
  const inStream = (await jsm.streams.info(STREAM)).state.last_seq - ctx.start.lastSeq;
  const [row] = await ctx.system.sql("auth")<{ n: number }[]>`select count(*)::int as n from outbox where id > ${ctx.start.floor} and published_at is not null`;
  const unmarked = inStream - (row?.n ?? 0);
  ctx.note(`${unmarked} row${unmarked === 1 ? "" : "s"} acked by JetStream but not marked sent when auth died`);
  if (unmarked < 1) ctx.fail("no row was acked and left unmarked: the kill did not land between ack and mark");
}

/**
 * The stream's limit is set a random number of messages above what it holds
 * (auth declares AUTH_EVENTS with AUTH_EVENTS_MAX_MSGS); with `discard new`
 * JetStream then refuses publishes, and the events must wait in auth's
 * outbox. Space frees when the messages every consumer has acked are purged.
 */
function streamFull(): Fault {
  let limit = 0;
  return {
    id: "stream-full",
    title: "stream full (max messages): publishes refused, then consumed messages purged",
    firesItself: true,
    async arm(ctx) {
      const jsm = await ctx.system.jsm();
      limit = (await jsm.streams.info(STREAM)).state.messages + ctx.random(40, 100);
      await ctx.system.restart("auth", { AUTH_EVENTS_MAX_MSGS: String(limit) });
    },
    async inject(ctx) {
      const jsm = await ctx.system.jsm();
      const deadline = Date.now() + 60_000;
      while ((await jsm.streams.info(STREAM)).state.messages < limit) {
        if (Date.now() > deadline) throw new Error(`the stream did not reach its limit of ${limit} messages`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      ctx.note(`stream full at ${limit} messages`);
    },
    holdMs: () => 3_000,
    async whileHeld(ctx) {
      const jsm = await ctx.system.jsm();
      const { messages } = (await jsm.streams.info(STREAM)).state;
      const [row] = await ctx.system.sql("auth")<{ n: number }[]>`select count(*)::int as n from outbox where published_at is null`;
      ctx.note(`while full: stream ${messages}/${limit}, outbox kept ${row?.n} unsent rows`);
      if (messages > limit) ctx.fail(`the stream holds ${messages} messages, over its limit ${limit}`);
      if (!row?.n) ctx.fail("the outbox kept no unsent rows while the stream was full");
    },
    async heal(ctx) {
      const jsm = await ctx.system.jsm();
      const floors = await Promise.all(CONSUMERS.map(async (durable) => (await jsm.consumers.info(STREAM, durable)).ack_floor.stream_seq));
      const { purged } = await jsm.streams.purge(STREAM, { seq: Math.min(...floors) + 1 });
      ctx.note(`purged ${purged} messages every consumer had acked`);
    },
  };
}
